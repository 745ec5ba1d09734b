# check-vala-warnings.py — compile the C that valac wrote for a Vala source
# again, as Meson did but with warnings on, and fail on any warning.
#
# Usage: python3 check-vala-warnings.py BUILD_DIR C_FILE [WARNING_FLAG...]
#
# Meson compiles valac's C with -w (examples/vala/meson.build). This takes
# Meson's own command for C_FILE (the basename of the generated file, e.g.
# agen-vala-demo.c) from BUILD_DIR/compile_commands.json, so with the
# project's arguments, -W and -Werror ones included, drops the -w, adds the
# WARNING_FLAGs (those of the warning_level, which -w replaced) and
# -fsyntax-only, and runs it in the C locale. Prints TAP.

import json
import os
import shlex
import subprocess
import sys

build_dir, c_file = sys.argv[1], sys.argv[2]
warning_flags = sys.argv[3:]

print('1..1')
name = f'/Agen/Vala/no-warnings/{c_file}'

with open(os.path.join(build_dir, 'compile_commands.json'), encoding='utf-8') as f:
    entries = [e for e in json.load(f)
               if os.path.basename(e['file']) == c_file]
if len(entries) != 1:
    print(f'# {len(entries)} entries for {c_file} in compile_commands.json')
    print(f'not ok 1 {name}')
    sys.exit(1)

entry = entries[0]
args = entry.get('arguments') or shlex.split(entry['command'])
command = []
skip = False
for arg in args:
    if skip:
        skip = False
    elif arg in ('-o', '-MQ', '-MF', '-MT'):
        skip = True          # and its value: nothing is written
    elif arg in ('-w', '-c', '-MD', '-MMD') or arg.startswith('-fdiagnostics-color'):
        pass
    else:
        command.append(arg)
command[1:1] = warning_flags
command += ['-fdiagnostics-color=never', '-fsyntax-only']

# Untranslated messages: "warning:" is what we look for.
env = dict(os.environ, LC_ALL='C')
run = subprocess.run(command, cwd=entry['directory'], env=env, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, text=True, check=False)
for line in run.stdout.splitlines():
    print(f'# {line}')
if run.returncode != 0 or 'warning:' in run.stdout:
    print(f'# {shlex.join(command)}')
    print(f'not ok 1 {name}')
    sys.exit(1)
print(f'ok 1 {name}')
