#!/usr/bin/env python3
"""long-functions.py - list the functions of lib/ and tools/ longer than the house limit
(DESIGN 3 and the brief: functions under 80 lines), longest first.

  scripts/long-functions.py [--max N] [--check] [PATH...]

A brace-matching scan, not a compiler: comments, string and character literals (raw
strings too) and preprocessor lines are blanked first, then every `{` outside a function
body is classified by the text before it (since the last `;`, `{` or `}`): namespace,
class, struct, union, enum and extern "C" blocks are containers; a header that ends in
`)` (with qualifiers, a trailing return type or a constructor's initializer list after
it) opens a function body; anything else (an aggregate initializer) is skipped. A
function's length counts its lines from the first line of its signature to the closing
brace, both included, so lambdas and local classes count towards the function that holds
them. Output: one line per function, "LINES path:line name"; --check exits 1 when any is
listed (0 otherwise), without it the exit code is 0.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONTAINER = re.compile(r'\b(namespace|class|struct|union|enum)\b|\bextern\s*$')
CONTROL = re.compile(r'^(if|for|while|switch|catch|else|do|try)\b')
# The name just before the parameter list: ns::Class::name, operator==, ~Class.
NAME = re.compile(r'((?:[A-Za-z_]\w*\s*::\s*)*(?:operator\s*[^\s(]+|~?[A-Za-z_]\w*))\s*\($')


def blank(text):
    """Comments, literals and preprocessor lines as spaces; newlines kept."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == '#':  # a preprocessor line, with its continuations
            j = i
            while j < n and not (text[j] == '\n' and text[j - 1] != '\\'):
                j += 1
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
            continue
        if c == '\n':
            line_start = True
            out.append(c)
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(')' + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r'[^\n]', ' ', text[i + 2:j]))
            i = j
        elif c in '"\'':
            if c == "'" and i > 0 and text[i - 1].isalnum():  # a digit separator: 1'000
                out.append(' ')
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + ' ' * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def strip_tail(header):
    """The header without what may follow a parameter list: qualifiers, a trailing return
    type, a constructor's initializer list. Returns the text up to the list's ')'."""
    depth = 0
    close = -1
    for k, ch in enumerate(header):
        if ch == '(':
            if depth == 0 and close >= 0 and header[close + 1:k].strip().startswith(':'):
                break  # an initializer list begins after the parameter list
            depth += 1
        elif ch == ')':
            depth -= 1
            if depth == 0:
                close = k
                tail = header[k + 1:].strip()
                if not tail or re.fullmatch(
                        r'(const|noexcept(\s*\(.*\))?|override|final|mutable|volatile|&|&&|'
                        r'->\s*[\w:<>,\s*&]+|\s)*(:.*)?', tail, re.S):
                    return header[:k + 1]
    return None


def functions(path):
    text = blank(path.read_text(errors='replace'))
    stack = []  # (kind, start line, name)
    header_start = 0
    line = 1
    found = []
    for k, ch in enumerate(text):
        if ch == '\n':
            line += 1
        elif ch in ';':
            if not stack or stack[-1][0] == 'container':
                header_start = k + 1
        elif ch == '{':
            if stack and stack[-1][0] != 'container':
                stack.append(('inner', line, ''))
                continue
            header = text[header_start:k]
            lead = len(header) - len(header.lstrip())
            first_line = line - header.count('\n') + header[:lead].count('\n')
            h = ' '.join(header.split())
            if CONTAINER.search(h.split('(')[0]) or h.endswith('extern "C"'):
                stack.append(('container', line, ''))
            else:
                sig = strip_tail(h)
                m = NAME.search(sig[:sig.rfind('(', 0, len(sig)) + 1]) if sig else None
                paren = sig.find('(') if sig else -1
                if (sig and m and not CONTROL.match(h) and '=' not in sig[:paren].replace(
                        'operator', '').replace('==', '').replace('!=', '') and not
                        re.search(r'\]\s*$', sig[:paren])):
                    stack.append(('function', first_line, m.group(1).replace(' ', '')))
                else:
                    stack.append(('other', line, ''))
            header_start = k + 1
        elif ch == '}':
            if stack:
                kind, start, name = stack.pop()
                if kind == 'function':
                    found.append((line - start + 1, start, name))
            if not stack or stack[-1][0] == 'container':
                header_start = k + 1
    return found


def main(argv):
    limit = 80
    check = False
    paths = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == '--max' and args:
            limit = int(args.pop(0))
        elif a == '--check':
            check = True
        elif a.startswith('-'):
            print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
            return 2
        else:
            paths.append(pathlib.Path(a))
    if not paths:
        paths = [ROOT / 'lib', ROOT / 'tools']
    files = []
    for p in paths:
        files += [p] if p.is_file() else sorted(
            f for f in p.rglob('*') if f.suffix in ('.cpp', '.hpp') and f.is_file())
    long = []
    for f in files:
        for lines, start, name in functions(f):
            if lines > limit:
                rel = f.resolve().relative_to(ROOT) if f.resolve().is_relative_to(ROOT) else f
                long.append((lines, f'{rel}:{start}', name))
    for lines, where, name in sorted(long, key=lambda e: (-e[0], e[1])):
        print(f'{lines:5d} {where} {name}')
    return 1 if check and long else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
