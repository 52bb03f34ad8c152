"""mg_search.py - query strings and searchCriteria the way Magento reads them.

parse_query() decodes a raw query string like PHP's parse_str: '+' is a
space, %XX are bytes (UTF-8), and bracketed names nest
(searchCriteria[filter_groups][0][filters][0][field]=sku).

Criteria.from_query() turns that into filter groups (AND-ed), filters within
a group (OR-ed), sort orders, page size and current page; both spellings
Magento accepts are read (filter_groups / filterGroups, condition_type /
conditionType, sort_orders / sortOrders, page_size / pageSize, current_page /
currentPage).  Matching follows MySQL with Magento's default collation:
string comparisons ignore case, NULL matches nothing but `null`, `in`/`nin`
split their value on commas (not trimmed), `like` takes % and _."""
import re
from urllib.parse import unquote_plus


class BadRequest(Exception):
    """A request Magento refuses with 400 (message, parameters)."""

    def __init__(self, message, parameters=None, status=400):
        super().__init__(message)
        self.message = message
        self.parameters = parameters
        self.status = status


TYPE_INVALID = ('The "%1" value\'s type is invalid. The "%2" type was expected. '
                'Verify and try again.')
INTERNAL = "Internal Error. Details are available in Magento log file. Report ID: webapi-%s"

CONDITIONS = {"eq", "neq", "gt", "gteq", "lt", "lteq", "like", "nlike", "in",
              "nin", "null", "notnull", "from", "to", "finset", "nfinset",
              "moreq", "seq", "sneq"}


def parse_query(raw):
    """Flat list of (name, value) pairs, decoded."""
    out = []
    if not raw:
        return out
    for part in raw.split("&"):
        if not part:
            continue
        if "=" in part:
            k, v = part.split("=", 1)
        else:
            k, v = part, ""
        out.append((unquote_plus(k, errors="replace"),
                    unquote_plus(v, errors="replace")))
    return out


_SEG = re.compile(r"\[([^\]]*)\]")


def nest(pairs):
    """PHP-style nesting of bracketed names; last value wins; [] appends."""
    root = {}
    for name, value in pairs:
        b = name.find("[")
        if b <= 0:
            root[name] = value
            continue
        head = name[:b]
        rest = name[b:]
        keys = []
        pos = 0
        while pos < len(rest):
            m = _SEG.match(rest, pos)
            if not m:
                break
            keys.append(m.group(1))
            pos = m.end()
        node = root.setdefault(head, {})
        if not isinstance(node, dict):
            node = root[head] = {}
        for k in keys[:-1]:
            if k == "":
                k = str(len(node))
            nxt = node.get(k)
            if not isinstance(nxt, dict):
                nxt = node[k] = {}
            node = nxt
        last = keys[-1] if keys else ""
        if last == "":
            last = str(len(node))
        node[last] = value
    return root


def _get(d, *names):
    if not isinstance(d, dict):
        return None
    for n in names:
        if n in d:
            return d[n]
    return None


def _ordered(d):
    """Values of a PHP 'array' in insertion order (keys may be 0,1 or any)."""
    if isinstance(d, dict):
        return list(d.values())
    return []


def _int_param(value, name):
    if value is None:
        return None
    if isinstance(value, dict):
        raise BadRequest(TYPE_INVALID, ["array", "int"])
    s = value.strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    raise BadRequest(TYPE_INVALID, [value, "int"])


class Filter:
    __slots__ = ("field", "value", "condition", "cond_given")

    def __init__(self, field, value, condition):
        self.field = field
        self.value = value
        self.cond_given = condition
        self.condition = (condition or "eq").lower()

    def echo(self):
        out = {"field": self.field, "value": self.value}
        if self.cond_given is not None:
            out["condition_type"] = self.cond_given
        return out


class Criteria:
    def __init__(self):
        self.groups = []            # list of list of Filter
        self.sorts = []             # list of (field, direction)
        self.page_size = None
        self.current_page = None

    @classmethod
    def from_query(cls, params):
        """params: the nested dict of the query (from nest())."""
        c = cls()
        sc = params.get("searchCriteria")
        if sc is None or not isinstance(sc, dict):
            return c
        for g in _ordered(_get(sc, "filter_groups", "filterGroups")):
            fl = []
            for f in _ordered(_get(g, "filters")):
                if not isinstance(f, dict):
                    continue
                field = _get(f, "field")
                value = _get(f, "value")
                cond = _get(f, "condition_type", "conditionType")
                if isinstance(value, dict) or isinstance(field, dict) or isinstance(cond, dict):
                    raise BadRequest(TYPE_INVALID, ["array", "string"])
                if field is None:
                    raise BadRequest('"%fieldName" is required. Enter and try again.',
                                     {"fieldName": "field"})
                if cond is not None and cond.lower() not in CONDITIONS:
                    # Magento builds broken SQL from it: a 500
                    raise BadRequest(INTERNAL % "fakecond", None, 500)
                fl.append(Filter(field, value, cond))
            c.groups.append(fl)
        for s in _ordered(_get(sc, "sort_orders", "sortOrders")):
            if not isinstance(s, dict):
                continue
            field = _get(s, "field")
            if field is None:
                continue
            direction = _get(s, "direction") or "ASC"
            c.sorts.append((field, direction))
        c.page_size = _int_param(_get(sc, "page_size", "pageSize"), "pageSize")
        c.current_page = _int_param(_get(sc, "current_page", "currentPage"), "currentPage")
        return c

    def echo(self):
        """search_criteria as Magento echoes it (absent parts omitted)."""
        out = {"filter_groups": [{"filters": [f.echo() for f in g]} for g in self.groups]}
        if self.sorts:
            out["sort_orders"] = [{"field": f, "direction": d.upper()} for f, d in self.sorts]
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out

    def fields(self):
        return {f.field for g in self.groups for f in g} | {s[0] for s in self.sorts}

    def match(self, get):
        """get(field) -> value; every group must have a matching filter."""
        for g in self.groups:
            if not g:
                continue
            for f in g:
                if test(f, get(f.field)):
                    break
            else:
                return False
        return True

    def window(self, total, legacy_last_page):
        """(start, end) indexes of the requested page among `total` items."""
        size = self.page_size
        if size is None or size <= 0:
            return 0, total
        page = self.current_page if self.current_page and self.current_page > 0 else 1
        start = (page - 1) * size
        if start >= total and legacy_last_page and total > 0:
            # Magento before 2.4: a page past the end repeats the last one.
            last = (total + size - 1) // size
            start = (last - 1) * size
        return start, min(total, start + size)


_NUM = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str) and _NUM.match(v):
        return float(v)
    return None


def _cmp(a, b):
    """MySQL-ish comparison of a stored value with a filter string: numeric
    columns compare as numbers, text case-insensitively with trailing
    spaces ignored (PAD SPACE collation)."""
    if not isinstance(a, str):
        na, nb = _num(a), _num(b)
        if na is not None and nb is not None:
            return (na > nb) - (na < nb)
    sa = _text(a).casefold().rstrip(" ")
    sb = _text(b).casefold().rstrip(" ")
    return (sa > sb) - (sa < sb)


def _text(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return ",".join(_text(x) for x in v)
    return str(v)


def like_regex(pattern):
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S | re.I)


def test(f, v):
    c = f.condition
    if c == "null":
        return v is None
    if c == "notnull":
        return v is not None
    val = f.value if f.value is not None else ""
    if isinstance(v, list) and c not in ("finset", "nfinset"):
        # multi-valued (category_id): a positive condition matches when one
        # element does, a negative one when none does
        if c in _POS:
            pos = Filter(f.field, f.value, _POS[c])
            return bool(v) and not any(test(pos, x) for x in v)
        return any(test(f, x) for x in v)
    if v is None:
        return False
    if c in ("eq", "seq"):
        return _cmp(v, val) == 0
    if c in ("neq", "sneq"):
        return _cmp(v, val) != 0
    if c == "gt":
        return _cmp(v, val) > 0
    if c in ("gteq", "from", "moreq"):
        return _cmp(v, val) >= 0
    if c == "lt":
        return _cmp(v, val) < 0
    if c in ("lteq", "to"):
        return _cmp(v, val) <= 0
    if c == "like":
        return like_regex(val).fullmatch(_text(v)) is not None
    if c == "nlike":
        return like_regex(val).fullmatch(_text(v)) is None
    if c == "in":
        return any(_cmp(v, x) == 0 for x in val.split(","))
    if c == "nin":
        return all(_cmp(v, x) != 0 for x in val.split(","))
    if c in ("finset", "nfinset"):
        items = v if isinstance(v, list) else _text(v).split(",")
        hit = any(_text(x) == val for x in items)
        return hit if c == "finset" else not hit
    return False


_POS = {"neq": "eq", "nin": "in", "nlike": "like"}


def sort_key(v):
    """NULLs first, numbers numerically, text case-insensitively."""
    if v is None:
        return (0, 0, "")
    if not isinstance(v, str):
        n = _num(v)
        if n is not None:
            return (1, n, "")
    return (2, 0, _text(v).casefold())


def apply_sorts(ids, sorts, get):
    """Stable multi-key sort of ids by sorts [(field, dir)] using get(id, f)."""
    for field, direction in reversed(sorts):
        rev = str(direction).upper() == "DESC"
        ids.sort(key=lambda i: sort_key(get(i, field)), reverse=rev)
    return ids
