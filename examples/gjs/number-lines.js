// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// number-lines.js — prints a file with its lines numbered: the lines come
// from a JS async generator, relayed by a C generator body; the numbers
// come from a C generator.
//
//   gjs -m number-lines.js FILE
//
// The C generators are AgenTest's (tests/introspected/, built but not
// installed): run it with `meson devenv -C build` plus
// GI_TYPELIB_PATH/LD_LIBRARY_PATH set to build/tests/introspected, as the
// 'gjs' test suite does (tests/gjs/test-examples.js).

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

function readLineAsync(stream, cancellable) {
    return new Promise((resolve, reject) => {
        stream.read_line_async(GLib.PRIORITY_DEFAULT, cancellable, (source, result) => {
            try {
                resolve(stream.read_line_finish_utf8(result)[0]);
            } catch (e) {
                reject(e);
            }
        });
    });
}

function readAsync(file, cancellable) {
    return new Promise((resolve, reject) => {
        file.read_async(GLib.PRIORITY_DEFAULT, cancellable, (source, result) => {
            try {
                resolve(file.read_finish(result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

// A JS async generator made an Agen.Generator: the lines of a file, read
// with GIO without blocking the main loop, each read with the cancellable
// of the step (this.cancellable). Closing it (return, break) closes the
// stream.
const readLines = Agen.generator(async function* (file) {
    const stream = new Gio.DataInputStream({
        base_stream: await readAsync(file, this.cancellable),
    });
    try {
        for (;;) {
            // eslint-disable-next-line no-await-in-loop
            const line = await readLineAsync(stream, this.cancellable);
            if (line === null)
                return;
            yield line;
        }
    } finally {
        stream.close(null);
    }
});

const [path] = System.programArgs;
if (!path) {
    printerr('usage: gjs -m number-lines.js FILE');
    System.exit(2);
}

// A C body consumes the JS generator with yield_from, and JS consumes
// that C generator with for await.
const lines = AgenTest.delegate(readLines(Gio.File.new_for_commandline_arg(path)), 1);
const numbers = AgenTest.count(GLib.MAXINT32);

try {
    for await (const line of lines) {
        const {value: n} = await numbers.next();
        print(`${String(n + 1).padStart(6)}  ${line}`);
    }
} catch (e) {
    printerr(`number-lines: ${e.message}`);
    System.exit(1);
} finally {
    await numbers.return();
}
