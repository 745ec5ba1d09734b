// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// app.js — a Gio.Application that consumes generators while its main loop
// runs: a C generator whose body awaits timeouts, iterated with for await,
// and a JS async generator handed to C code (next_async), while a GLib
// timeout keeps ticking.
//
//   gjs -m app.js
//
// Uses AgenTest (tests/introspected/) for the C side, like number-lines.js.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

// A JS async generator: numbers, each after a short wait.
async function* slowSquares(n) {
    for (let i = 1; i <= n; i++) {
        // eslint-disable-next-line no-await-in-loop
        await new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        }));
        yield i * i;
    }
}

// C code summing any generator with next_async, as a Promise.
function sumInC(gen) {
    return new Promise((resolve, reject) => {
        AgenTest.sum_async(gen, null, (source, result) => {
            try {
                resolve(AgenTest.sum_finish(result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

async function work(app) {
    let ticks = 0;
    const ticker = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 2, () => {
        ticks++;
        return GLib.SOURCE_CONTINUE;
    });
    try {
        // A C generator in JS: its body awaits a 10 ms timeout per item.
        for await (const v of AgenTest.count_slowly(5, 10))
            print(`item ${v} (main loop ticks so far: ${ticks})`);
        // A JS generator in C.
        print(`sum of squares computed in C: ${await sumInC(Agen.wrap(slowSquares(10)))}`);
        print(ticks > 0 ? 'the main loop ran meanwhile' : 'the main loop did not run');
    } catch (e) {
        printerr(`app: ${e}`);
        app.exitStatus = 1;
    } finally {
        GLib.source_remove(ticker);
        app.release();
    }
}

const app = new Gio.Application({
    application_id: 'org.agen.examples.GjsApp',
    flags: Gio.ApplicationFlags.NON_UNIQUE,
});
app.exitStatus = 0;
app.connect('activate', () => {
    app.hold();
    work(app);
});
const status = app.run([System.programInvocationName]);
System.exit(status || app.exitStatus);
