#!/usr/bin/env python3
# prepare-content.py — the guides as gi-docgen content pages.
#
# usage: prepare-content.py OUTDIR GUIDE.md...
#
# The guides stay plain Markdown, readable in docs/. gi-docgen wants a
# "Title:" line first, and turns NAME.md into NAME.html: each copy gets
# the title of its first heading, and its links to the other guides point
# at their pages.

import os
import re
import sys

outdir = sys.argv[1]
guides = sys.argv[2:]
names = {os.path.basename(g) for g in guides}

def relink(m):
    target, anchor = m.group(2), m.group(3) or ''
    if target in names:
        return '%s(%s%s)' % (m.group(1), target[:-3] + '.html', anchor)
    return m.group(0)

for guide in guides:
    text = open(guide, encoding='utf-8').read()
    heading = re.search(r'^# (.+)$', text, re.M)
    if heading is None:
        sys.exit('%s: no "# " heading to take the title from' % guide)
    text = re.sub(r'(\]\s*)\(([\w.-]+\.md)(#[\w-]+)?\)', relink, text)
    with open(os.path.join(outdir, os.path.basename(guide)), 'w', encoding='utf-8') as out:
        out.write('Title: %s\n\n' % heading.group(1))
        out.write(text)
