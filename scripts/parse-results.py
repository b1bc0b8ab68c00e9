#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one VM run of the mtmap harness.

Reads OUTDIR/results.log (ttyS1: markers written by scripts/guest-init.sh,
TAP/KTAP between them) and OUTDIR/console.log (ttyS0: the kernel console).
Each MTMAP-BEGIN/MTMAP-END block is parsed by the kernel's own KTAP parser,
`tools/testing/kunit/kunit.py parse --json`, and its leaf test cases are
counted; the console is scanned for kernel splats.

Prints a report and, last, one summary line for the lane; writes
"PASSED FAILED SKIPPED" to OUTDIR/counts. Exit status 0 only when nothing
failed, no splat was seen and the guest reached MTMAP-DONE.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# Kernel splats: any console line matching one of these fails the lane.
SPLAT_PATTERNS = [
    r'BUG:',
    r'WARNING:',
    r'KASAN',
    r'KFENCE',
    r'UBSAN',
    r'Oops',
    r'Call Trace',
    r'general protection fault',
    r'Kernel panic',
    r'possible circular locking',
    r'inconsistent lock state',
    r'possible recursive locking',
    r'INFO: ',
    r'kmemleak: .* new suspected memory leaks',
    r'unreferenced object 0x',
    r'suspicious RCU usage',
]
SPLAT_RE = re.compile('|'.join('(?:%s)' % p for p in SPLAT_PATTERNS))

# Lines that match a pattern above without being a splat. Each entry is
# anchored on the whole message (after the printk timestamp) so that it
# cannot hide a real report.
FALSE_POSITIVES = [
    # Nothing from a clean boot of stock-6.1 or the debug kernels matches
    # the (case-sensitive) patterns: "kfence: initialized", "kasan:
    # KernelAddressSanitizer initialized" and "kmemleak: Kernel memory leak
    # detector initialized" are lower case. Only init's own notes, which quote
    # insmod/rmmod messages, are let through.
    re.compile(r'^mtmap-init: (step \S+ rc=-?\d+ |running \S+: )'),
]

TS_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')
MARK_RE = re.compile(r'^MTMAP-(BEGIN|END|STEP|DONE)\b ?(\S*)(?: rc=(-?\d+))? ?(.*)$')


def strip_ts(line):
    return TS_RE.sub('', line, count=1)


def read_lines(path):
    try:
        with open(path, 'rb') as f:
            data = f.read().decode('utf-8', errors='backslashreplace')
    except FileNotFoundError:
        return None
    return data.replace('\r', '').split('\n')


def find_marker(line):
    """A marker may follow stray bytes on the serial line; find it anywhere."""
    i = line.find('MTMAP-')
    if i < 0:
        return None
    return MARK_RE.match(line[i:])


class Block:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.rc = None  # None: no END marker (crash, hang, timeout)


def split_results(lines):
    steps, blocks, done = [], [], False
    cur = None
    for line in lines:
        m = find_marker(line)
        if not m:
            if cur is not None:
                cur.lines.append(line)
            continue
        kind, name, rc, text = m.groups()
        if kind == 'BEGIN':
            cur = Block(name)
            blocks.append(cur)
        elif kind == 'END':
            if cur is not None and cur.name == name:
                cur.rc = int(rc) if rc is not None else -1
            cur = None
        elif kind == 'STEP':
            steps.append((name, int(rc) if rc is not None else -1, text.strip()))
        elif kind == 'DONE':
            done = True
            cur = None
    return steps, blocks, done


# A program run through the kernel's kselftest runner (runner.sh's
# run_many; guest-init.sh does so in check mode): the runner's header
# "# selftests: DIR: NAME", the program's output prefixed with "# ", then
# the runner's result line, whose directive tells the exit code.
KSFT_HDR_RE = re.compile(r'^# selftests: \S+: (\S+)$')
KSFT_RES_RE = re.compile(r'^(not )?ok \d+ selftests: \S+: (\S+)(?: # ([A-Za-z]+)(?:[ =](\S+))?.*)?$')


def unnest_runner(b):
    """Give a block run through runner.sh the program's own output and exit
    code, as if the program had run alone (the judgement stays the same)."""
    start = next((i for i, line in enumerate(b.lines)
                  if (KSFT_HDR_RE.match(line) or [None, None])[1] == b.name), None)
    if start is None:
        return
    body, rc = [], None
    for line in b.lines[start + 1:]:
        m = KSFT_RES_RE.match(line)
        if m and m.group(2) == b.name:
            failed, directive, value = m.group(1), m.group(3), m.group(4)
            if not failed:
                rc = 4 if directive == 'SKIP' else 0
            elif directive == 'exit' and value and value.lstrip('-').isdigit():
                rc = int(value)
            elif directive == 'TIMEOUT':
                rc = 124
            else:
                rc = 1
            break
        body.append(line[2:] if line.startswith('# ') else '' if line == '#' else line)
    b.lines = body
    if rc is None and b.rc is not None:
        # init saw the runner end, but the runner reported no result.
        rc = b.rc or -1
    b.rc = rc


def leaf_cases(group, prefix=''):
    out = []
    for case in group.get('test_cases', []):
        out.append((prefix + (case.get('name') or '<unnamed>'), case.get('status', 'FAIL')))
    for sub in group.get('sub_groups', []):
        out += leaf_cases(sub, prefix + (sub.get('name') or '') + '.')
    return out


def ktap_parse(kunit_py, text):
    """Run kunit.py parse on text; return (cases, summary_line, errors)."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, 'in.tap')
        js = os.path.join(d, 'out.json')
        with open(src, 'w') as f:
            f.write(text)
        p = subprocess.run([sys.executable, kunit_py, 'parse', '--json=' + js, src],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        summary = ''
        for line in p.stdout.splitlines():
            line = strip_ts(line)
            if line.startswith('Testing complete.'):
                summary = line
        m = re.search(r'errors: (\d+)', summary)
        errors = int(m.group(1)) if m else 0
        if not os.path.exists(js):
            return None, p.stdout, errors
        with open(js) as f:
            data = json.load(f)
    return leaf_cases(data), summary, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--lane', default='vm')
    ap.add_argument('--kunit-py', required=True, help='tools/testing/kunit/kunit.py')
    ap.add_argument('--qemu-rc', type=int, default=0)
    ap.add_argument('--expect-tap', action='store_true',
                    help='a *_test program or kunit: block without TAP output '
                         'is a failure (any other program without TAP, such as '
                         'mtmap-demo, is judged by its exit code)')
    ap.add_argument('--note', default='',
                    help='text appended to the summary line')
    ap.add_argument('--show-output', action='store_true',
                    help='print every program block as the program wrote it')
    args = ap.parse_args()

    console_path = os.path.join(args.outdir, 'console.log')
    results_path = os.path.join(args.outdir, 'results.log')
    res_lines = read_lines(results_path) or []
    con_lines = read_lines(console_path) or []

    passed = failed = skipped = 0
    problems = []  # lane-level reasons, each counted as one failure

    steps, blocks, done = split_results(res_lines)
    for b in blocks:
        unnest_runner(b)

    for name, rc, text in steps:
        if rc == 0:
            passed += 1
        else:
            failed += 1
            print('  FAIL  step %s (rc=%d)%s' % (name, rc, ': ' + text if text else ''))

    for b in blocks:
        body = '\n'.join(b.lines) + '\n'
        rc_txt = 'did not finish' if b.rc is None else 'rc=%d' % b.rc
        if args.show_output:
            print('----- output of %s -----' % b.name)
            sys.stdout.write(body)
            print('----- %s: %s -----' % (b.name,
                  'exit status %d' % b.rc if b.rc is not None
                  else 'no exit status: the VM stopped while it ran'))
        cases, summary, errors = ktap_parse(args.kunit_py, body)
        if cases is None:
            failed += 1
            print('  FAIL  %s: kunit.py parse failed:\n%s' % (b.name, summary))
            continue
        bp = bf = bs = 0
        for cname, status in cases:
            if status == 'PASS':
                bp += 1
            elif status == 'SKIP':
                bs += 1
            else:
                bf += 1
                print('  FAIL  %s: %s (%s)' % (b.name, cname or '<missing>', status))
        if not cases and re.search(r'^1\.\.0\b', body, re.M) and b.rc in (0, 4):
            # An empty plan: a TESTS= filter that selects nothing here.
            print('  ok    %s: no test selected (empty plan), %s' % (b.name, rc_txt))
            continue
        if not cases:
            # No TAP at all.
            if args.expect_tap and (b.name.endswith('_test') or b.name.startswith('kunit:')):
                bf += 1
                print('  FAIL  %s: printed no TAP (%s)' % (b.name, rc_txt))
            elif b.rc == 0:
                bp += 1
            elif b.rc == 4:
                bs += 1
            else:
                bf += 1
                print('  FAIL  %s: %s' % (b.name, rc_txt))
        elif bf == 0 and errors:
            bf += 1
            print('  FAIL  %s: malformed TAP (%s)' % (b.name, summary))
        elif bf == 0 and b.rc not in (0, 4):
            # TAP says fine, the exit code does not (crash, timeout = 143...).
            bf += 1
            print('  FAIL  %s: TAP reports no failure but the program %s' % (b.name, rc_txt))
        print('  %-5s %s: %d passed, %d failed, %d skipped (%s)' % (
            'ok' if bf == 0 else 'FAIL', b.name, bp, bf, bs, rc_txt))
        passed += bp
        failed += bf
        skipped += bs

    # Kernel splats on the console.
    splats = []
    early = []  # before mtmap.ko was first loaded: not ours (see below)
    mtmap_loaded = False
    injected_at = -100
    phase = 'boot'
    for i, line in enumerate(con_lines):
        msg = strip_ts(line)
        if msg.startswith('mtmap-init: loading mtmap.ko'):
            mtmap_loaded = True
        m = re.match(r'mtmap-init: (running \S+|step \S+|loading \S+|unloading \S+|kmemleak: scanning)', msg)
        if m:
            phase = m.group(1).rstrip(':')
        if msg.startswith('FAULT_INJECTION: forcing a failure'):
            # A test asked for this failure (failslab, fail_page_alloc);
            # the fault-injection code dumps the stack after this line.
            injected_at = i
        if not SPLAT_RE.search(line):
            continue
        if any(fp.match(msg) for fp in FALSE_POSITIVES):
            continue
        if msg.startswith('Call Trace:') and i - injected_at <= 8:
            continue
        splats.append((i + 1, '%s   <- after: %s' % (line, phase)))
        if not mtmap_loaded:
            early.append(line)
    # A splat before mtmap was first loaded comes from the kernel or the
    # emulator (seen: a KASAN report in an IRQ handler 4 ms into a 7.2 boot
    # under TCG). It still counts here; lane-run.sh sees OUTDIR/infra-splat,
    # reports an infrastructure failure and boots once more.
    infra_path = os.path.join(args.outdir, 'infra-splat')
    if early:
        with open(infra_path, 'w') as f:
            f.write('\n'.join(early[:20]) + '\n')
        problems.append('infrastructure: %d splat line(s) before mtmap was loaded' % len(early))
    elif os.path.exists(infra_path):
        os.unlink(infra_path)
    if splats:
        problems.append('%d kernel splat line(s) in %s' % (len(splats), console_path))
        print('  SPLAT kernel splat lines in %s:' % console_path)
        for n, line in splats[:40]:
            print('    %d: %s' % (n, line))
        if len(splats) > 40:
            print('    ... and %d more' % (len(splats) - 40))

    con_done = any('MTMAP-DONE' in l for l in con_lines)
    if not done or not con_done:
        why = 'timed out' if args.qemu_rc == 124 else 'crashed, hung or panicked'
        problems.append('no MTMAP-DONE: the VM %s (qemu rc=%d); see %s' % (why, args.qemu_rc, console_path))
        tail = [l for l in con_lines if l.strip()][-15:]
        print('  FAIL  no MTMAP-DONE on %s; last console lines:' % (
            'either port' if not done and not con_done else
            'ttyS1' if not done else 'ttyS0'))
        for l in tail:
            print('    ' + l)
    elif args.qemu_rc != 0:
        problems.append('qemu exited with %d' % args.qemu_rc)

    if args.show_output:
        for b in blocks:
            print('%s %s.' % (b.name, 'exited with status %d' % b.rc if b.rc is not None
                                else 'did not finish (the VM stopped while it ran)'))
        print('Kernel console: %s (%s).' % (
            console_path, 'splats found, see above' if splats else 'no splats'))
    for p in problems:
        print('  FAIL  ' + p)
    failed += len(problems)

    with open(os.path.join(args.outdir, 'counts'), 'w') as f:
        f.write('%d %d %d\n' % (passed, failed, skipped))
    boot = ''
    try:
        with open(os.path.join(args.outdir, 'boot-seconds')) as f:
            boot = ', VM %s s' % f.read().strip()
    except OSError:
        pass
    for line in con_lines:
        m = re.match(r'^\[\s*(\d+)\.\d+\] mtmap-init: (kernel|MTMAP-DONE)', line)
        if m:
            boot += ', %s at %s s' % ('init' if m.group(2) == 'kernel' else 'done', m.group(1))
    # Faults per page side by side, where a program measured them
    # ("# WHO_WHAT_faults_per_page N.NN": ttm_baseline_test on the arm64
    # lane, WHO baseline or mtmap); the pass/fail verdict is that program's.
    fpp = {}
    for b in blocks:
        for line in b.lines:
            m = re.match(r'^# (baseline|mtmap)_(\w+)_faults_per_page ([\d.]+)$', line.strip())
            if m:
                fpp[(m.group(1), m.group(2))] = m.group(3)
    table = ''
    if fpp:
        def pair(what):
            return 'ttm-baseline %s, mtmap %s' % (fpp.get(('baseline', what), 'n/a'),
                                                  fpp.get(('mtmap', what), 'n/a'))
        table = ' first-write faults/page: %s' % pair('first_write')
        if ('mtmap', 'read_then_write') in fpp or ('baseline', 'read_then_write') in fpp:
            table += '; read-then-write: %s' % pair('read_then_write')
        extra = [(k, fpp[('mtmap', k)]) for k in ('prefault16', 'dirty_read_then_write')
                 if ('mtmap', k) in fpp]
        if extra:
            table += '; mtmap %s' % ', '.join(
                '%s %s' % (k.replace('_', '-'), v) for k, v in extra)
    print('%s: %s (%d passed, %d failed, %d skipped%s)%s%s' % (
        args.lane, 'PASSED' if failed == 0 else 'FAILED', passed, failed, skipped, boot,
        table, ' ' + args.note if args.note else ''))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
