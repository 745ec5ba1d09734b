// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// consumer-gjs.js — agen from GJS with an installed prefix
// (tests/test-installed.sh): the override comes from
// $prefix/share/gjs-1.0/overrides through XDG_DATA_DIRS, the typelib and
// the library through GI_TYPELIB_PATH and LD_LIBRARY_PATH. The C-made
// generators and the C consumer are the build tree's AgenTest
// (tests/introspected/), which is not installed.

import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

function check(condition, what) {
    if (!condition) {
        printerr(`consumer-gjs: ${what}`);
        System.exit(1);
    }
}

check(typeof Agen.wrap === 'function', 'the override was not loaded');

// A C generator with for await.
const items = [];
for await (const v of AgenTest.count(3))
    items.push(v);
check(items.join(',') === '0,1,2', `for await gave ${items}`);

// A JS async generator handed to C code: a next_async loop in C ...
async function* numbers() {
    yield 1;
    await null;
    yield 2;
    yield 3;
}
const sum = await new Promise((resolve, reject) => {
    AgenTest.sum_async(Agen.wrap(numbers()), null, (source, result) => {
        try {
            resolve(AgenTest.sum_finish(result));
        } catch (e) {
            reject(e);
        }
    });
});
check(sum === 6, `C summed ${sum}`);

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

print(`gjs -m: for await gave ${items}, C summed ${sum}, the context manager gave ${entered}`);
