// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// consumer-gjs.js — agen from GJS with an installed prefix
// (tests/test-installed.sh): the override comes from
// $prefix/share/gjs-1.0/overrides through XDG_DATA_DIRS, the typelib and
// the library through GI_TYPELIB_PATH and LD_LIBRARY_PATH; nothing from
// the build tree.

import Agen from 'gi://Agen';
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

function check(condition, what) {
    if (!condition) {
        printerr(`consumer-gjs: ${what}`);
        System.exit(1);
    }
}

check(typeof Agen.wrap === 'function', 'the override was not loaded');

// A C generator (a fiber body reading a stream) with for await.
const input = Gio.MemoryInputStream.new_from_bytes(
    new GLib.Bytes(new TextEncoder().encode('a\nb\nc\n')));
const items = [];
for await (const v of Agen.input_stream_lines(input, Agen.StreamFlags.NONE, 0))
    items.push(v);
check(items.join(',') === 'a,b,c', `for await gave ${items}`);

// A JS async generator handed to C code: map's C relay pulls from it ...
async function* numbers() {
    yield 1;
    await null;
    yield 2;
    yield 3;
}
let sum = 0;
for await (const v of Agen.wrap(numbers()).map(x => [true, x * 10]))
    sum += v;
check(sum === 60, `C relayed ${sum}`);

// ... and the installed library's own AgenContextManager.
let closed = false;
const session = Agen.contextManager(async function* () {
    try {
        yield 'entered';
    } finally {
        closed = true;
    }
});
const entered = await Agen.withContext(session(), value => value);
check(entered === 'entered' && closed, `the context manager gave ${entered}`);

print(`gjs -m: for await gave ${items}, C relayed ${sum}, the context manager gave ${entered}`);
