// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// Runs the GJS examples (examples/gjs/) in subprocesses and checks what
// they print. Argument: the source root.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

import {test, run, assert, assertEqual} from './tap.js';

const [sourceRoot] = System.programArgs;
const examples = GLib.build_filenamev([sourceRoot, 'examples', 'gjs']);
const gjs = GLib.find_program_in_path('gjs');

function runExample(name, ...args) {
    const proc = Gio.Subprocess.new([gjs, '-m', GLib.build_filenamev([examples, name]), ...args],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    return new Promise((resolve, reject) => {
        proc.communicate_utf8_async(null, null, (source, result) => {
            try {
                const [, stdout, stderr] = proc.communicate_utf8_finish(result);
                resolve({status: proc.get_exit_status(), stdout, stderr});
            } catch (e) {
                reject(e);
            }
        });
    });
}

test('number-lines.js numbers the lines of a file', async () => {
    const [file, stream] = Gio.File.new_tmp('agen-gjs-XXXXXX.txt');
    try {
        const text = 'first\n\nthird — ünïcode\nlast without newline';
        stream.get_output_stream().write_all(new TextEncoder().encode(text), null);
        stream.close(null);
        const {status, stdout, stderr} = await runExample('number-lines.js', file.get_path());
        assertEqual(status, 0, stderr);
        assertEqual(stdout, [
            '     1  first',
            '     2  ',
            '     3  third — ünïcode',
            '     4  last without newline',
            '',
        ].join('\n'));
    } finally {
        file.delete(null);
    }
});

test('number-lines.js reports a missing file', async () => {
    const {status, stderr} = await runExample('number-lines.js', '/nonexistent/agen-gjs');
    assertEqual(status, 1);
    assert(stderr.includes('number-lines:'), stderr);
});

test('app.js consumes generators while the main loop runs', async () => {
    const {status, stdout, stderr} = await runExample('app.js');
    assertEqual(status, 0, stderr);
    assert(stdout.includes('item 4'), stdout);
    assert(stdout.includes('sum of squares computed in C: 385'), stdout);
    assert(stdout.includes('the main loop ran meanwhile'), stdout);
});

const failed = await run();
if (failed)
    System.exit(1);
