// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// walk.js — the GTK demo's pipeline in JavaScript: the regular files under
// a directory, as paths relative to it, printed as they arrive
//
//   gjs -m walk.js [--suffix=.EXT] DIRECTORY
//
// The same three generators as examples/gtk-demo/agen-gtk-demo.c: agen's
// recursive directory walk (a C body reading batches underneath), a filter
// and a map whose functions are JavaScript (run on the thread's own
// stack), consumed with `for await`. It prints what the C demo's --print
// prints.

import Agen from 'gi://Agen';
import Gio from 'gi://Gio';
import System from 'system';

const args = ARGV.filter(a => !a.startsWith('--suffix='));
const suffixArg = ARGV.find(a => a.startsWith('--suffix='));
const suffix = suffixArg ? suffixArg.slice('--suffix='.length) : null;
const root = Gio.File.new_for_commandline_arg(args[0] ?? '.');

const rows = Agen.file_children(root, 'standard::name,standard::type',
    Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS,
    Agen.ChildrenFlags.RECURSIVE | Agen.ChildrenFlags.REPORT_ERRORS)
    .filter(info => info.get_file_type() === Gio.FileType.REGULAR &&
        (suffix === null || info.get_name().endsWith(suffix)))
    .map(info => {
        const parent = info.get_attribute_object('agen::parent');
        return [true, root.get_relative_path(parent.get_child(info.get_name()))];
    });

try {
    for await (const row of rows)
        print(row);
} catch (e) {
    printerr(`walk.js: ${e.message}`);
    System.exit(1);
}
