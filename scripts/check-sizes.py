#!/usr/bin/env python3
"""Lists functions longer than 60 lines and classes longer than 250 in the project's C++ sources
(the key table of sweeps/schema.cpp aside, and tests, which hold tables of cases). Exit 1 when
there is one: the Layout section of the README holds the code to these sizes.

A brace matcher, not a compiler: comments, strings and preprocessor lines are blanked first, then
each `{` is classed by the text before it (namespace, class or struct, function, or a block inside
one). Lambdas count towards the function that holds them."""
import pathlib
import re
import sys

MAX_FUNCTION, MAX_CLASS = 60, 250
FOLDERS = ["util", "data", "sweeps", "models", "cluster", "results", "runner", "bench"]
EXEMPT = {("sweeps/schema.cpp", "make_keys")}  # the key table: one row per key


def blank(text):
    """Comments, string and character literals, and preprocessor lines as spaces (lines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i) or (c == "#" and text[text.rfind("\n", 0, i) + 1:i].strip() == ""):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c in "\"'" and not (c == "'" and i > 0 and text[i - 1].isalnum()):
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blocks(path):
    """(kind, name, first line, last line) of every function and class in one file."""
    text = blank(path.read_text())
    stack, found, header_start = [], [], 0
    for i, c in enumerate(text):
        if c in ";":
            header_start = i + 1
        elif c == "{":
            header = text[header_start:i]
            inside_function = any(k in ("function", "block") for k, *_ in stack)
            if inside_function:
                kind = "block"
            elif re.search(r"\bnamespace\b", header):
                kind = "namespace"
            elif re.search(r"\b(class|struct|union)\s+\w+[^()]*$", header):
                kind = "class"
            elif re.search(r"\)[\w\s:&*<>,()\[\].=-]*$", header) and not re.search(r"=\s*$", header):
                kind = "function"
            else:
                kind = "block"
            if kind == "class":
                name = re.findall(r"\b(?:class|struct|union)\s+(\w+)", header)
            else:
                name = re.findall(r"(~?[\w:]+)\s*\(", header)
            line = text.count("\n", 0, header_start + len(header) - len(header.lstrip())) + 1
            stack.append((kind, name[0] if name else "?", line))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, name, line = stack.pop()
                if kind in ("function", "class"):
                    found.append((kind, name, line, text.count("\n", 0, i) + 1))
            header_start = i + 1
    return found


def main(root):
    root = pathlib.Path(root)
    over = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".cpp", ".h"):
                continue
            rel = path.relative_to(root).as_posix()
            for kind, name, first, last in blocks(path):
                limit = MAX_FUNCTION if kind == "function" else MAX_CLASS
                short = name.split("::")[-1]
                if last - first + 1 > limit and (rel, short) not in EXEMPT:
                    over.append(f"{rel}:{first}: {kind} {name} is {last - first + 1} lines (at most {limit})")
    for line in over:
        print(line)
    print(f"{len(over)} over the limits" if over else "every function and class within the limits")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent))
