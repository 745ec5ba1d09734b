# walk.py — the GTK demo's pipeline in Python: the regular files under a
# directory, as paths relative to it, printed as they arrive
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   python3 walk.py [--suffix=.EXT] DIRECTORY
#
# The same three generators as examples/gtk-demo/agen-gtk-demo.c: agen's
# recursive directory walk (a C body reading batches underneath), a filter
# and a map whose functions are Python (run on the thread's own stack),
# consumed with `async for` under Agen.run. It prints what the C demo's
# --print prints.

import sys

import gi
gi.require_version('Agen', '1.0')
gi.require_version('Gio', '2.0')
from gi.repository import Agen, Gio  # noqa: E402


def rows_of(root, suffix):
    children = Agen.file_children(root, 'standard::name,standard::type',
                                  Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS,
                                  Agen.ChildrenFlags.RECURSIVE | Agen.ChildrenFlags.REPORT_ERRORS)

    def keep(info):
        return (info.get_file_type() == Gio.FileType.REGULAR
                and (suffix is None or info.get_name().endswith(suffix)))

    def to_row(info):
        parent = info.get_attribute_object('agen::parent')
        return True, root.get_relative_path(parent.get_child(info.get_name()))

    return children.filter(keep).map(to_row)


async def main(root, suffix):
    async for row in rows_of(root, suffix):
        print(row)


if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if not a.startswith('--suffix=')]
    suffixes = [a.split('=', 1)[1] for a in sys.argv[1:] if a.startswith('--suffix=')]
    Agen.run(main(Gio.File.new_for_commandline_arg(args[0] if args else '.'),
                  suffixes[0] if suffixes else None))
