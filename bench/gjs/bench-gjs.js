// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// bench-gjs.js — per-item costs of the GJS override (bindings/gjs), side
// by side in one run (docs/performance.md, "GJS"):
//
//   c-for-await    for await over AgenTest.count(N): a C body that yields
//                  without awaiting (next()'s try_next fast path)
//   c-next-async   the same through withCancellable(): next_async and a
//                  main-loop pass per item
//   gjs-idle       GJS's own async function* awaiting one GLib idle per
//                  item (one main-loop pass per item): the baseline
//   gjs-plain      GJS's own async function* that never awaits (what
//                  for await itself costs)
//   js-in-c        a JS async generator (Agen.wrap) consumed by C with
//                  blocking next (AgenTest.sum_blocking)
//   js-sync-in-c   the same with a JS sync generator (function*)
//
//   gjs -m bench-gjs.js [--items N] [--rounds R] [--case NAME]
//
// Each (round, case) runs in a gjs process of its own, rounds interleaved,
// and the best round counts: GJS 1.74 refuses to run a JS callback while
// an incremental GC is sweeping (fixed in GJS 1.82), which a single long
// process with ~100,000 callbacks meets. Times are wall clock and CPU time
// (user + system, /proc/self/stat) per item; ratios are to gjs-idle.
// Needs GI_TYPELIB_PATH/LD_LIBRARY_PATH for Agen and AgenTest, and
// GJS_PATH for the override (meson benchmark sets them).

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

const options = {items: 20000, rounds: 5, case: null};
const args = System.programArgs;
for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '');
    if (!(name in options) || i + 1 >= args.length) {
        printerr('usage: gjs -m bench-gjs.js [--items N] [--rounds R] [--case NAME]');
        System.exit(2);
    }
    options[name] = name === 'case' ? args[i + 1] : Number(args[i + 1]);
}
const items = options.items;

function idle() {
    return new Promise(resolve => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

async function* idleGen(n) {
    for (let i = 0; i < n; i++) {
        // eslint-disable-next-line no-await-in-loop
        await idle();
        yield i;
    }
}

async function* plainGen(n) {
    for (let i = 0; i < n; i++)
        yield i;
}

function* syncGen(n) {
    for (let i = 0; i < n; i++)
        yield i;
}

async function drain(iterable) {
    let sum = 0;
    for await (const v of iterable)
        sum += v;
    return sum;
}

const cases = {
    'c-for-await': () => drain(AgenTest.count(items)),
    'c-next-async': () => drain(AgenTest.count(items).withCancellable(new Gio.Cancellable())),
    'gjs-idle': () => drain(idleGen(items)),
    'gjs-plain': () => drain(plainGen(items)),
    'js-in-c': () => Agen.callBlocking(() => AgenTest.sum_blocking(Agen.wrap(plainGen(items)))),
    'js-sync-in-c': () => Agen.callBlocking(() => AgenTest.sum_blocking(Agen.wrap(syncGen(items)))),
};

// CPU time of this process in microseconds (utime + stime).
function cpuTime() {
    const [, contents] = GLib.file_get_contents('/proc/self/stat');
    const text = new TextDecoder().decode(contents);
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), counted from the state (field 3).
    return (Number(fields[11]) + Number(fields[12])) * 1e6 / 100;
}

async function runCase(name) {
    const fn = cases[name];
    System.gc();
    const wallStart = GLib.get_monotonic_time();
    const cpuStart = cpuTime();
    const sum = await fn();
    const wall = (GLib.get_monotonic_time() - wallStart) / items;
    const cpu = (cpuTime() - cpuStart) / items;
    if (sum !== items * (items - 1) / 2)
        throw new Error(`${name}: sum ${sum}`);
    print(`${wall} ${cpu}`);
}

function runChild(name) {
    const proc = Gio.Subprocess.new([GLib.find_program_in_path('gjs'), '-m',
        System.programPath ?? import.meta.url.replace('file://', ''),
        '--case', name, '--items', String(items)], Gio.SubprocessFlags.STDOUT_PIPE);
    const [, stdout] = proc.communicate_utf8(null, null);
    if (!proc.get_successful())
        throw new Error(`case ${name} failed`);
    return stdout.trim().split(' ').map(Number);
}

if (options.case !== null) {
    await runCase(options.case);
} else {
    const best = {};
    for (let round = 0; round < options.rounds; round++) {
        for (const name of Object.keys(cases)) {
            const [wall, cpu] = runChild(name);
            best[name] ??= {wall: Infinity, cpu: Infinity};
            best[name].wall = Math.min(best[name].wall, wall);
            best[name].cpu = Math.min(best[name].cpu, cpu);
        }
    }
    const base = best['gjs-idle'];
    const v = System.version;
    print(`# GJS ${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}, ${items} items, best of ${options.rounds} rounds (one process each)`);
    print('# case          wall us/item  x gjs-idle   cpu us/item  x gjs-idle');
    for (const [name, {wall, cpu}] of Object.entries(best)) {
        print(`${name.padEnd(14)} ${wall.toFixed(2).padStart(10)} ${(wall / base.wall).toFixed(2).padStart(10)}` +
            `   ${cpu.toFixed(2).padStart(10)} ${(cpu / base.cpu).toFixed(2).padStart(10)}`);
    }
    print(`# for await over a C generator: ${(best['c-for-await'].wall / base.wall).toFixed(2)}x ` +
        "GJS's generator with one idle per item (target <= 0.5, stretch 0.35)");
    print(`# a JS async generator consumed by C with blocking next: ${best['js-in-c'].wall.toFixed(2)} us/item, ` +
        `a sync one ${best['js-sync-in-c'].wall.toFixed(2)} us/item (target <= 5)`);
}
