#!/usr/bin/env python3
# check-docs-symbols.py — every public symbol of agen has its place in the
# generated reference, with a Since: version.
#
# usage: check-docs-symbols.py GIR HTML_DIR HEADER_DIR
#
# Public symbols are those of the GIR (every c:identifier and c:type,
# introspectable or not: gi-docgen documents both) and those of the
# installed headers (every function declared with AGEN_AVAILABLE_IN_*, and
# every macro with a doc comment). Each must appear in the HTML, as a
# whole word. Each GIR entry must carry a version (from its Since: line).
# Prints TAP.

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
C = '{http://www.gtk.org/introspection/c/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'

gir_path, html_dir, header_dir = sys.argv[1:4]

# The GIR ---------------------------------------------------------------
gir = ET.parse(gir_path).getroot()
namespace = gir.find(CORE + 'namespace')
gir_symbols = set()
unversioned = []
versioned_tags = {'class', 'interface', 'record', 'enumeration', 'bitfield',
                  'callback', 'constant', 'function', 'function-macro',
                  'method', 'constructor', 'property', 'signal'}
for el in namespace.iter():
    tag = el.tag.replace(CORE, '').replace(GLIB, 'glib:')
    if tag == 'record' and el.get(GLIB + 'is-gtype-struct-for'):
        continue   # the class structs of final types: no page of their own
    ident = el.get(C + 'identifier') or el.get(C + 'type')
    if tag in ('member',) and ident:
        gir_symbols.add(ident)
    if tag in versioned_tags or tag in ('glib:signal',):
        if ident:
            gir_symbols.add(ident)
        if el.get('version') is None:
            unversioned.append('%s %s' % (tag, ident or el.get('name')))

# The headers ---------------------------------------------------------------
header_symbols = set()
for header in sorted(glob.glob(os.path.join(header_dir, '*.h')) +
                     glob.glob(os.path.join(header_dir, '*.h.in'))):
    if header.endswith('-private.h'):
        continue
    text = open(header, encoding='utf-8').read()
    # A declaration: AGEN_AVAILABLE_IN_x, then a return type, then the name.
    for m in re.finditer(r'AGEN_AVAILABLE_IN_\w+\s+([^;]*?)\b(agen_\w+)\s*\(', text):
        header_symbols.add(m.group(2))
    # A documented macro or type.
    for m in re.finditer(r'/\*\*\s*\n\s*\*\s*(AGEN_\w+|Agen\w+):', text):
        header_symbols.add(m.group(1))

# The HTML --------------------------------------------------------------------
html = []
for path in glob.glob(os.path.join(html_dir, '**', '*.html'), recursive=True):
    html.append(open(path, encoding='utf-8').read())
html = '\n'.join(html)
words = set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', html))

print('1..4')
failed = False

def report(n, name, missing):
    global failed
    for m in sorted(missing):
        print('# missing: %s' % m)
    if missing:
        failed = True
        print('not ok %d - %s' % (n, name))
    else:
        print('ok %d - %s' % (n, name))

report(1, 'the GIR has symbols and the headers have functions',
       [] if gir_symbols and header_symbols else ['(nothing found)'])
report(2, 'every GIR symbol (%d) appears in the reference' % len(gir_symbols),
       [s for s in gir_symbols if s not in words])
report(3, 'every public symbol of the headers (%d) appears in the reference' % len(header_symbols),
       [s for s in header_symbols if s not in words])
report(4, 'every GIR entry has a Since: version', unversioned)

sys.exit(1 if failed else 0)
