"""What filelock.h declares and what the version script exports, read from the sources.

The ABI checks compare the built library against these, so the header stays the one
place where the public API is written down.
"""
import re

# One FL_API declaration: return type, name, parameter list, up to the semicolon.
_FUNCTION = re.compile(r"\bFL_API\s+([^;(]*?)\b(fl_\w+)\s*\(([^)]*)\)\s*;", re.S)
_ENUM_BODY = re.compile(r"\benum\b[^{;]*\{([^}]*)\}", re.S)
_ENUM_MEMBER = re.compile(r"\b([A-Z][A-Z0-9_]*)\s*(?:=|,|$)")
# Object-like macros whose value is a number (what a caller compiles into its code).
_NUMERIC_MACRO = re.compile(r"^\s*#\s*define\s+(FL_[A-Z0-9_]+)\s+\(?\s*-?\d", re.M)


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


class Function:
    def __init__(self, return_type, name, params):
        self.return_type = " ".join(return_type.split())
        self.name = name
        self.params = " ".join(params.split())

    def stub_definition(self):
        """A definition that compiles against the declaration (for ABI fixtures)."""
        signature = f"{self.return_type} {self.name}({self.params})"
        if self.return_type == "void":
            return signature + " {}"
        return signature + " { return 0; }"


def functions(header_text):
    """The functions the header declares with FL_API, in order."""
    text = _strip_comments(header_text)
    return [Function(*m.groups()) for m in _FUNCTION.finditer(text)]


def constants(header_text):
    """Names of enum members and numeric FL_* macros: values compiled into callers."""
    text = _strip_comments(header_text)
    names = []
    for body in _ENUM_BODY.findall(text):
        for item in body.split(","):
            m = _ENUM_MEMBER.match(item.strip())
            if m:
                names.append(m.group(1))
    names += _NUMERIC_MACRO.findall(text)
    return list(dict.fromkeys(names))


def version_nodes(map_text):
    """{node: [symbols]} from a GNU ld version script, in file order."""
    text = re.sub(r"/\*.*?\*/", " ", map_text, flags=re.S)
    text = re.sub(r"#[^\n]*", " ", text)
    nodes = {}
    for node, body in re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, re.S):
        symbols = []
        section = "global"
        for token in re.split(r"[;\s]+", body):
            if token in ("global:", "local:"):
                section = token[:-1]
            elif token and section == "global":
                symbols.append(token)
        nodes[node] = symbols
    return nodes
