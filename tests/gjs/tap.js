// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// tap.js — a small TAP harness for the gjs tests: each script registers
// named async tests and runs them in order, printing "1..N" and one
// "ok N - name" / "not ok N - name" line per test (meson test parses
// them: protocol 'tap').

import GLib from 'gi://GLib';

const tests = [];

export function test(name, fn) {
    tests.push({name, fn});
}

export class AssertionError extends Error {}

class Skip {
    constructor(reason) {
        this.reason = reason;
    }
}

// Ends the running test as skipped ("ok N - name # SKIP reason").
export function skip(reason) {
    throw new Skip(reason);
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

function show(v) {
    try {
        return typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
    } catch (e) {
        return String(v);
    }
}

export function assertEqual(actual, expected, message = '') {
    if (actual !== expected) {
        throw new AssertionError(
            `${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`);
    }
}

export function assertDeepEqual(actual, expected, message = '') {
    if (show(actual) !== show(expected)) {
        throw new AssertionError(
            `${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`);
    }
}

// Awaits a promise that must reject; returns what it rejected with.
export async function assertRejects(promise, message = 'expected a rejection') {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    throw new AssertionError(message);
}

export function assertThrows(fn, message = 'expected an exception') {
    try {
        fn();
    } catch (e) {
        return e;
    }
    throw new AssertionError(message);
}

export function assertError(error, domain, code, message = '') {
    assert(error instanceof GLib.Error, `${message}: expected a GLib.Error, got ${error}`);
    assert(error.matches(domain, code),
        `${message}: expected code ${code} of the expected domain, got ${error}`);
}

// A Promise resolved after ms milliseconds of main loop.
export function sleep(ms) {
    return new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

export async function run() {
    print(`1..${tests.length}`);
    let failed = 0;
    for (const [i, {name, fn}] of tests.entries()) {
        try {
            // eslint-disable-next-line no-await-in-loop
            await fn();
            print(`ok ${i + 1} - ${name}`);
        } catch (e) {
            if (e instanceof Skip) {
                print(`ok ${i + 1} - ${name} # SKIP ${e.reason}`);
                continue;
            }
            failed++;
            print(`not ok ${i + 1} - ${name}`);
            for (const line of `${e}\n${e?.stack ?? ''}`.trimEnd().split('\n'))
                print(`# ${line}`);
        }
    }
    return failed;
}
