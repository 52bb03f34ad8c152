"""mg_gen.py - the seeded generator of the fake Magento's catalogue and orders.

Nothing here is stored per product or per order: item i is computed from
(seed, i) on demand (blake2b of the pair gives the random draws), so a store
of a million products costs a few compact arrays (the family layout and the
stock listing), not a million dicts.  Mutations live in mg_store.Store.

Shapes follow the Magento 2.4.8 admin REST schema (catalog-data-product-
interface, sales-data-order-interface, ...) and the Luma sample catalogue:
configurable parents with simple children named "<parent>-<size>-<color>",
media files like /m/h/mh01-black_main.jpg, select attributes (color, size)
carried as option ids in custom_attributes."""
import array
import hashlib
import json
import random
import re
import struct
import threading
import time
import unicodedata

_js = json.encoder.encode_basestring_ascii    # exactly json.dumps for a str

ROLE_SIMPLE, ROLE_PARENT, ROLE_CHILD, ROLE_VIRTUAL = 0, 1, 2, 3
TYPE_OF_ROLE = ("simple", "configurable", "simple", "virtual")

# slots of a product's own draw (Catalog.pd) and of its family's (Catalog.rd)
(P_STATUS, P_UPD, P_QZERO, P_QTY, P_IMG, P_WEIGHT, P_SHORT, P_SPECIAL, P_W1,
 P_W2, P_W3, P_W4, P_PCT, P_NAME1, P_NAME2, P_SRC2) = range(16)
(R_LEAF, R_PRICE, R_CENTS, R_BUMP, R_CAT2, R_CAT3, R_CATPICK, R_NCOLORS,
 R_COLOR0) = range(9)

COLOR_ATTR_ID, SIZE_ATTR_ID = 93, 144
COLORS = [("Black", 49), ("Blue", 50), ("Brown", 51), ("Gray", 52),
          ("Green", 53), ("Lavender", 54), ("Orange", 56), ("Purple", 57),
          ("Red", 58), ("White", 59), ("Yellow", 60)]
SIZES = [("XS", 166), ("S", 167), ("M", 168), ("L", 169), ("XL", 170),
         ("28", 171), ("29", 172), ("30", 173), ("31", 174), ("32", 175)]
APPAREL_SIZES = SIZES[:5]
BOTTOM_SIZES = SIZES[5:]

NAMES = ["Chaz", "Abominable", "Ajax", "Atlas", "Bruno", "Cassius", "Circe",
         "Daphne", "Echo", "Electra", "Eos", "Fiona", "Grayson", "Hera",
         "Hyperion", "Ida", "Jade", "Juno", "Kratos", "Lando", "Leah", "Livingston",
         "Logan", "Mars", "Marco", "Mona", "Neve", "Nora", "Olivia", "Orion",
         "Phoebe", "Proteus", "Rival", "Selene", "Stark", "Tiberius", "Troy",
         "Ulysses", "Vulcan", "Zeppelin", "Zoltan", "Orestes", "Helios"]
STYLES = ["Kangeroo", "Hero", "Elements", "Ultra", "Cool", "Tech", "Pro",
          "Fleece", "Running", "Yoga", "Training", "Trail", "Core", "Air",
          "Endurance", "LifeLong", "Compete", "Performance"]
WORDS = ["lightweight", "breathable", "moisture-wicking", "durable", "soft",
         "stretchy", "water-resistant", "insulated", "ergonomic", "recycled",
         "organic", "reflective", "quick-dry", "seamless", "padded", "adjustable"]
FIRST = ["Veronica", "Roni", "John", "Maria", "Ahmed", "Yuki", "Olga",
         "Pierre", "Chen", "Fatima", "Lars", "Ines", "Kofi", "Ana", "Mehmet",
         "Sophie", "Raj", "Lena", "Diego", "Aisha", "Tom", "Zoë", "Björn"]
LAST = ["Costello", "Smith", "García", "Müller", "Nguyen", "Kowalski", "Rossi",
        "Johnson", "Okafor", "Tanaka", "Dubois", "Ivanova", "Hansen", "O'Brien",
        "Silva", "Yilmaz", "Patel", "Brown", "Schmidt", "Lefèvre"]
STREETS = ["Main Street", "Oak Avenue", "Elm Road", "Cedar Lane", "Maple Drive",
           "Hauptstraße", "Rue de Rivoli", "High Street", "Sunset Blvd",
           "6146 Honey Bluff Parkway", "Market St"]
# (country, region name, region code, region id, city, postcode format)
REGIONS = [
    ("US", "Michigan", "MI", 33, "Calder", "49628-7978"),
    ("US", "California", "CA", 12, "Los Angeles", "90001"),
    ("US", "Texas", "TX", 57, "Austin", "78701"),
    ("US", "New York", "NY", 43, "New York", "10001"),
    ("US", "Florida", "FL", 18, "Miami", "33101"),
    ("US", "Washington", "WA", 62, "Seattle", "98101"),
    ("US", "Illinois", "IL", 23, "Chicago", "60601"),
    ("US", "Massachusetts", "MA", 32, "Boston", "02101"),
    ("DE", "Berlin", "BER", 82, "Berlin", "10115"),
    ("DE", "Bayern", "BAY", 81, "München", "80331"),
    ("FR", "Paris", "75", 257, "Paris", "75001"),
    ("GB", None, None, None, "London", "SW1A 1AA"),
    ("CA", "Ontario", "ON", 74, "Toronto", "M5H 2N2"),
]
# (code, description, carrier title); flatrate first: the common case
SHIPPING_METHODS = [
    ("flatrate_flatrate", "Flat Rate - Fixed"),
    ("flatrate_flatrate", "Flat Rate - Fixed"),
    ("freeshipping_freeshipping", "Free Shipping - Free"),
    ("tablerate_bestway", "Best Way - Table Rate"),
    ("ups_GND", "United Parcel Service - Ground"),
    ("ups_1DA", "United Parcel Service - Next Day Air"),
    ("fedex_FEDEX_GROUND", "Federal Express - Ground"),
    ("usps_1", "United States Postal Service - Priority Mail"),
    ("dhl_P", "DHL - Express Worldwide"),
]
STATUS_STATE = {"pending": "new", "processing": "processing",
                "complete": "complete", "canceled": "canceled",
                "holded": "holded", "closed": "closed"}
DEFAULT_STATUS_WEIGHTS = [("pending", 30), ("processing", 35),
                          ("complete", 20), ("canceled", 8), ("holded", 7)]

# The default category tree: three levels under "Default Category".
# Leaves carry a kind: ("apparel", size set, product noun, sku code, set id)
# or ("gear", None, noun list, sku code, set id).
DEFAULT_TREE = [
    ("Men", [
        ("Tops", [("Jackets", ("apparel", "top", "Jacket", "MJ", 9)),
                  ("Hoodies & Sweatshirts", ("apparel", "top", "Hoodie", "MH", 9)),
                  ("Tees", ("apparel", "top", "Tee", "MS", 9)),
                  ("Tanks", ("apparel", "top", "Tank", "MT", 9))]),
        ("Bottoms", [("Pants", ("apparel", "bottom", "Pant", "MP", 10)),
                     ("Shorts", ("apparel", "bottom", "Short", "MSH", 10))]),
    ]),
    ("Women", [
        ("Tops", [("Jackets", ("apparel", "top", "Jacket", "WJ", 9)),
                  ("Hoodies & Sweatshirts", ("apparel", "top", "Hoodie", "WH", 9)),
                  ("Tees", ("apparel", "top", "Tee", "WS", 9)),
                  ("Bras & Tanks", ("apparel", "top", "Bra", "WB", 9))]),
        ("Bottoms", [("Pants", ("apparel", "bottom", "Pant", "WP", 10)),
                     ("Shorts", ("apparel", "bottom", "Short", "WSH", 10))]),
    ]),
    ("Gear", [
        ("Bags", [("Backpacks", ("gear", None, "Backpack", "MB", 4)),
                  ("Duffles", ("gear", None, "Duffle Bag", "DB", 4))]),
        ("Fitness Equipment", [("Balls", ("gear", None, "Exercise Ball", "UG", 4)),
                               ("Mats", ("gear", None, "Yoga Mat", "YM", 4)),
                               ("Straps", ("gear", None, "Resistance Strap", "RS", 4))]),
        ("Watches", [("Digital", ("gear", None, "Sport Watch", "MG", 4)),
                     ("Analog", ("gear", None, "Chronograph", "WG", 4))]),
    ]),
    ("Training", [
        ("Video Download", [("Yoga", ("virtual", None, "Yoga Video", "YV", 4)),
                            ("Running", ("virtual", None, "Running Plan", "RP", 4))]),
    ]),
]


class Draw:
    """Deterministic random draws for one (seed, kind, index): v holds 16
    fixed slots; u32() reads them in turn and continues with further
    digests when they run out."""
    __slots__ = ("v", "k", "key", "n")

    def __init__(self, seed, kind, i):
        self.key = b"%d:%s:%d" % (seed, kind, i)
        self.v = struct.unpack("<16I", hashlib.blake2b(self.key, digest_size=64).digest())
        self.k = 0
        self.n = 0

    def u32(self):
        k = self.k
        if k == 16:
            self.n += 1
            self.v = struct.unpack("<16I", hashlib.blake2b(
                self.key + b"#%d" % self.n, digest_size=64).digest())
            k = 0
        self.k = k + 1
        return self.v[k]

    def below(self, n):
        return self.u32() % n if n > 0 else 0

    def unit(self):
        return self.u32() / 4294967296.0

    def pick(self, seq):
        return seq[self.u32() % len(seq)]


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text):
    return _NON_SLUG.sub("-", text.lower()).strip("-")


def ascii_slug(text):
    """slug() after folding accents away (García -> garcia)."""
    return slug(unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode())


_DIGIT = {str(d): d for d in range(10)}


def upc_for(n):
    """A 12-digit UPC-A with a valid check digit, from an integer."""
    body = "%011d" % (n % 10 ** 11)
    odd = sum(map(_DIGIT.__getitem__, body[0::2]))
    even = sum(map(_DIGIT.__getitem__, body[1::2]))
    return body + str((10 - (odd * 3 + even) % 10) % 10)


def fmt_time(ts):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def money(cents):
    """Magento answers prices as JSON numbers: 52, 45.5, 17.99."""
    if cents % 100 == 0:
        return cents // 100
    return cents / 100.0


class _Facts:
    __slots__ = ("i", "role", "pd", "opts", "size", "color", "sku", "name", "files",
                 "cat_ids", "price_c", "set_id", "status", "created", "updated",
                 "weight", "desc", "short", "url_key", "upc", "special")


class Category:
    __slots__ = ("id", "parent_id", "name", "level", "position", "children",
                 "kind", "path", "is_active", "include_in_menu", "created_at")

    def __init__(self, cid, parent_id, name, level, position, kind=None):
        self.id = cid
        self.parent_id = parent_id
        self.name = name
        self.level = level
        self.position = position
        self.children = []
        self.kind = kind
        self.path = ""
        self.is_active = True
        self.include_in_menu = True
        self.created_at = "2024-03-06 10:00:00"


class Categories:
    """Root Catalog (1) > Default Category (2) > depth levels of children."""

    def __init__(self, depth=3, breadth=0):
        self.by_id = {}
        root = self._add(1, 0, "Root Catalog", 0, 0)
        root.path = "1"
        top = self._add(2, 1, "Default Category", 1, 1)
        root.children.append(top)
        top.path = "1/2"
        self._next = 3
        if breadth <= 0 and depth == 3:
            self._build_default(top, DEFAULT_TREE)
        else:
            self._build_synthetic(top, max(1, depth), max(1, breadth or 3), "")
        self.leaves = [c for c in self.by_id.values()
                       if not c.children and c.level >= 2]
        if not self.leaves:
            self.leaves = [top]
            top.kind = ("gear", None, "Item", "IT", 4)
        self.apparel = [c for c in self.leaves if c.kind[0] == "apparel"]
        self.gear = [c for c in self.leaves if c.kind[0] == "gear"]
        self.virtual = [c for c in self.leaves if c.kind[0] == "virtual"]

    def _add(self, cid, parent_id, name, level, position, kind=None):
        c = Category(cid, parent_id, name, level, position, kind)
        self.by_id[cid] = c
        return c

    def _child(self, parent, name, kind=None):
        c = self._add(self._next, parent.id, name, parent.level + 1,
                      len(parent.children) + 1, kind)
        self._next += 1
        c.path = parent.path + "/" + str(c.id)
        parent.children.append(c)
        return c

    def _build_default(self, parent, spec):
        for name, sub in spec:
            if isinstance(sub, list):
                self._build_default(self._child(parent, name), sub)
            else:
                self._child(parent, name, sub)

    def _build_synthetic(self, parent, depth, breadth, label):
        kinds = [("apparel", "top", "Top", "AT", 9),
                 ("gear", None, "Gadget", "GG", 4),
                 ("apparel", "bottom", "Pant", "AB", 10),
                 ("virtual", None, "Download", "VD", 4)]
        for b in range(1, breadth + 1):
            lab = "%s%d" % (label + "-" if label else "", b)
            if depth == 1:
                k = kinds[(self._next + b) % len(kinds)]
                # SKU codes stay letters so the entity id can be parsed back
                code = k[3] + "".join(chr(65 + int(x)) for x in lab if x.isdigit())
                kind = (k[0], k[1], k[2], code, k[4])
                self._child(parent, "Category " + lab, kind)
            else:
                self._build_synthetic(self._child(parent, "Category " + lab),
                                      depth - 1, breadth, lab)

    def chain(self, cid):
        """Categories from Default Category's child down to cid."""
        out = []
        c = self.by_id.get(cid)
        while c is not None and c.level >= 2:
            out.append(c)
            c = self.by_id.get(c.parent_id)
        return out[::-1]


class Catalog:
    """Products 1..n (entity_id = index + 1), computed on demand.

    Layout (built once, compact): role per index, parent index per child,
    child list per parent.  configurable_share is the fraction of all
    products that belong to a configurable family (parent + its children).
    With layout "scattered" a family's members sit at random indexes, so a
    parent's children may be on any page before or after it; "adjacent"
    puts the children right before their parent (as an import does)."""

    def __init__(self, seed, n, configurable_share=0.3, children=3,
                 layout="scattered", virtual_share=0.02, disabled_share=0.03,
                 categories=None, now=None, sources=("default",),
                 second_source_share=0.4):
        self.seed = seed
        self.n = n
        self.k = max(1, children)
        self.now = int(now if now is not None else time.time())
        self.cats = categories or Categories()
        self.sources = list(sources)
        self.second_share = second_source_share
        self.disabled_share = disabled_share
        self.role = bytearray(n)
        self.parent = array.array("i", [-1]) * n if n else array.array("i")
        self.kids = {}
        self.combo = array.array("h", [0]) * n if n else array.array("h")
        families = int(n * configurable_share / (1 + self.k)) if n else 0
        if families * (1 + self.k) > n:
            families = n // (1 + self.k)
        rnd = random.Random(seed)
        if layout == "adjacent":
            units = [1] * families + [0] * (n - families * (1 + self.k))
            rnd.shuffle(units)
            pos = 0
            for u in units:
                if u:
                    members = list(range(pos, pos + self.k + 1))
                    pos += self.k + 1
                    self._family(members[-1], members[:-1])
                else:
                    pos += 1
        else:
            perm = list(range(n))
            rnd.shuffle(perm)
            for f in range(families):
                members = perm[f * (self.k + 1):(f + 1) * (self.k + 1)]
                p = members.pop(rnd.randrange(len(members)))
                self._family(p, sorted(members))
            del perm
        self.virtual = array.array("i")
        if virtual_share > 0 and self.cats.virtual:
            step = max(2, int(round(1.0 / virtual_share)))
            for i in range(step // 2, n, step):
                if self.role[i] == ROLE_SIMPLE:
                    self.role[i] = ROLE_VIRTUAL
                    self.virtual.append(i)
        self._stock_index = None
        self._cat_counts = None
        self._lazy = threading.Lock()
        # leaf category number per family root, filled on first use
        self._leaf = array.array("H", [0xFFFF]) * n if n else array.array("H")

    def _family(self, p, members):
        self.role[p] = ROLE_PARENT
        self.kids[p] = members
        for j, c in enumerate(members):
            self.role[c] = ROLE_CHILD
            self.parent[c] = p
            self.combo[c] = j

    # -- cheap per-index facts -------------------------------------------
    # Two draws describe a product: pd(i) for the product's own facts and
    # rd(root) for what a configurable family shares (price, categories,
    # options).  Each fact reads a fixed slot, so an accessor used by a
    # filter computes the same value as the whole record does.
    def pd(self, i):
        return Draw(self.seed, b"p", i)

    def rd(self, r):
        return Draw(self.seed, b"r", r)

    def root(self, i):
        return self.parent[i] if self.role[i] == ROLE_CHILD else i

    def _pool(self, role):
        if role == ROLE_PARENT:
            return self.cats.apparel or self.cats.leaves
        if role == ROLE_VIRTUAL:
            return self.cats.virtual or self.cats.leaves
        return self.cats.gear or self.cats.leaves

    def leaf(self, i):
        """The product's (family's) first category: a leaf of its kind."""
        r = self.parent[i] if self.role[i] == ROLE_CHILD else i
        pool = self._pool(self.role[r])
        k = self._leaf[r]
        if k == 0xFFFF:
            k = self.rd(r).v[R_LEAF] % len(pool)
            if k < 0xFFFF:
                self._leaf[r] = k
        return pool[k]

    def base_sku(self, i):
        return "%s%06d" % (self.leaf(i).kind[3], i + 1)

    def options_of(self, p, rd=None):
        """(sizes, colors) a configurable family uses, in child order."""
        v = (rd or self.rd(p)).v
        leaf = self.leaf(p)
        sizes = BOTTOM_SIZES if leaf.kind[1] == "bottom" else APPAREL_SIZES
        ncolors = 1 + v[R_NCOLORS] % 3
        while len(sizes) * ncolors < len(self.kids[p]):
            ncolors += 1
        start = v[R_COLOR0] % len(COLORS)
        colors = [COLORS[(start + c) % len(COLORS)] for c in range(min(ncolors, len(COLORS)))]
        return sizes, colors

    def child_options(self, i, opts=None):
        sizes, colors = opts or self.options_of(self.parent[i])
        j = self.combo[i]
        return sizes[j % len(sizes)], colors[(j // len(sizes)) % len(colors)]

    def sku(self, i):
        if self.role[i] == ROLE_CHILD:
            size, color = self.child_options(i)
            return "%s-%s-%s" % (self.base_sku(self.parent[i]), size[0], color[0])
        return self.base_sku(i)

    def index_of_sku(self, sku):
        """Index of a generated SKU, or -1.  Generated SKUs carry their
        entity id; like Magento (MySQL collation) the match ignores case."""
        head = sku.split("-", 1)[0]
        digits = len(head)
        while digits > 0 and head[digits - 1].isdigit():
            digits -= 1
        if digits == len(head) or len(head) - digits < 6:
            return -1
        i = int(head[digits:]) - 1
        if i < 0 or i >= self.n:
            return -1
        want = sku.casefold()
        if "-" not in sku:
            if self.role[i] != ROLE_CHILD and self.sku(i).casefold() == want:
                return i
            return -1
        if self.role[i] != ROLE_PARENT:
            return -1
        for c in self.kids[i]:
            if self.sku(c).casefold() == want:
                return c
        return -1

    def _own_name(self, r, pd=None):
        v = (pd or self.pd(r)).v
        return "%s %s %s" % (NAMES[v[P_NAME1] % len(NAMES)], STYLES[v[P_NAME2] % len(STYLES)],
                             self.leaf(r).kind[2])

    def name(self, i):
        if self.role[i] == ROLE_CHILD:
            size, color = self.child_options(i)
            return "%s-%s-%s" % (self._own_name(self.parent[i]), size[0], color[0])
        return self._own_name(i)

    def price_cents(self, i, rd=None):
        r = self.root(i)
        v = (rd or self.rd(r)).v
        cents = (12 + v[R_PRICE] % 88) * 100 + (0, 0, 50, 99)[v[R_CENTS] % 4]
        if self.role[i] == ROLE_CHILD and v[R_BUMP] % 4 == 0:
            cents += 100 * (1 + self.combo[i] % 3)
        return cents

    def created_ts(self, i):
        # Creation times increase with the entity id, one product a minute
        # up to a day before "now".
        return self.now - 86400 - (self.n - i) * 60

    def updated_ts(self, i, pd=None):
        v = (pd or self.pd(i)).v
        return min(self.now - 60, self.created_ts(i) + v[P_UPD] % (30 * 86400))

    def status(self, i, pd=None):
        if self.disabled_share <= 0:
            return 1
        v = (pd or self.pd(i)).v
        return 2 if v[P_STATUS] / 4294967296.0 < self.disabled_share else 1

    def visibility(self, i):
        return 1 if self.role[i] == ROLE_CHILD else 4

    def type_id(self, i):
        return TYPE_OF_ROLE[self.role[i]]

    def attribute_set_id(self, i):
        return self.leaf(i).kind[4]

    def has_stock(self, i):
        return self.role[i] != ROLE_PARENT

    def qty(self, i, pd=None):
        if not self.has_stock(i):
            return 0
        v = (pd or self.pd(i)).v
        return 0 if v[P_QZERO] % 10 == 0 else 1 + v[P_QTY] % 200

    def second_qty(self, i, pd=None):
        """Quantity at the second source, or None when it holds none."""
        if len(self.sources) < 2 or not self.has_stock(i):
            return None
        v = (pd or self.pd(i)).v
        if v[P_SRC2] / 4294967296.0 >= self.second_share:
            return None
        return (v[P_SRC2] & 0xFFFF) % 60     # presence used the high bits

    def category_ids(self, i, rd=None):
        r = self.root(i)
        leaf = self.leaf(r)
        ids = [leaf.id]
        v = (rd or self.rd(r)).v
        if v[R_CAT2] % 3 == 0:
            ids.append(leaf.parent_id)
        if v[R_CAT3] % 5 == 0:
            other = self.cats.leaves[v[R_CATPICK] % len(self.cats.leaves)]
            if other.id not in ids:
                ids.append(other.id)
        return ids

    def media_files(self, i, pd=None, opts=None):
        if self.role[i] == ROLE_CHILD:
            base = self.base_sku(self.parent[i]).lower()
            color = self.child_options(i, opts)[1][0].lower()
            names = ["%s-%s_main.jpg" % (base, color)]
        else:
            sku = self.base_sku(i).lower()
            cnt = 1 + (pd or self.pd(i)).v[P_IMG] % 3
            names = ["%s-%d.jpg" % (sku, k) for k in range(cnt)]
        return ["/%s/%s/%s" % (n[0], n[1] if len(n) > 1 else "_", n) for n in names]

    # -- whole records ----------------------------------------------------
    def stock_item(self, i, qty=None, in_stock=None, max_sale=10000):
        q = self.qty(i) if qty is None else qty
        return {
            "item_id": i + 1, "product_id": i + 1, "stock_id": 1,
            "qty": q,
            "is_in_stock": (q > 0 or not self.has_stock(i)) if in_stock is None else in_stock,
            "is_qty_decimal": False, "show_default_notification_message": False,
            "use_config_min_qty": True, "min_qty": 0,
            "use_config_min_sale_qty": 1, "min_sale_qty": 1,
            "use_config_max_sale_qty": max_sale == 10000, "max_sale_qty": max_sale,
            "use_config_backorders": True, "backorders": 0,
            "use_config_notify_stock_qty": True, "notify_stock_qty": 1,
            "use_config_qty_increments": True, "qty_increments": 0,
            "use_config_enable_qty_inc": True, "enable_qty_increments": False,
            "use_config_manage_stock": True, "manage_stock": True,
            "low_stock_date": None, "is_decimal_divided": False,
            "stock_status_changed_auto": 0,
        }

    def configurable_options(self, p, opts=None):
        opts = opts or self.options_of(p)
        used_sizes, used_colors = [], []
        for c in self.kids[p]:
            s, col = self.child_options(c, opts)
            if s not in used_sizes:
                used_sizes.append(s)
            if col not in used_colors:
                used_colors.append(col)
        base = (p + 1) * 2
        return [
            {"id": base, "attribute_id": str(SIZE_ATTR_ID), "label": "Size",
             "position": 0, "values": [{"value_index": s[1]} for s in used_sizes],
             "product_id": p + 1},
            {"id": base + 1, "attribute_id": str(COLOR_ATTR_ID), "label": "Color",
             "position": 1, "values": [{"value_index": c[1]} for c in used_colors],
             "product_id": p + 1},
        ]

    def facts(self, i):
        """Everything product() and product_json() render, computed once."""
        role = self.role[i]
        r = self.parent[i] if role == ROLE_CHILD else i
        pd = self.pd(i)
        rd = self.rd(r)
        v = pd.v
        leaf = self.leaf(r)
        base = "%s%06d" % (leaf.kind[3], r + 1)
        f = _Facts()
        f.i, f.role, f.pd = i, role, pd
        f.opts = f.size = f.color = None
        if role == ROLE_CHILD:
            f.opts = self.options_of(r, rd)
            f.size, f.color = self.child_options(i, f.opts)
            f.sku = "%s-%s-%s" % (base, f.size[0], f.color[0])
            f.name = "%s-%s-%s" % (self._own_name(r), f.size[0], f.color[0])
        else:
            f.sku = base
            f.name = self._own_name(i, pd)
            if role == ROLE_PARENT:
                f.opts = self.options_of(r, rd)
        f.files = self.media_files(i, pd, f.opts)
        f.cat_ids = self.category_ids(i, rd)
        f.price_c = self.price_cents(i, rd)
        f.set_id = leaf.kind[4]
        f.status = self.status(i, pd)
        f.created = fmt_time(self.created_ts(i))
        f.updated = fmt_time(self.updated_ts(i, pd))
        f.weight = None
        if role in (ROLE_SIMPLE, ROLE_CHILD):
            f.weight = 1 if role == ROLE_CHILD else (1 + v[P_WEIGHT] % 9) / 2
        f.desc = f.short = None
        if role != ROLE_CHILD:
            f.desc = self.description(i, pd)
            if v[P_SHORT] % 2 == 0:
                f.short = "<p>%s %s.</p>" % (WORDS[v[P_W4] % len(WORDS)].capitalize(), f.name)
        f.url_key = "%s-%d" % (slug(f.name), i + 1)
        f.upc = upc_for(self.seed * 7919 + i + 1) if role != ROLE_PARENT else None
        f.special = None
        if v[P_SPECIAL] % 10 == 0 and role != ROLE_PARENT:
            sp = f.price_c * 8 // 10
            f.special = "%d.%02d0000" % (sp // 100, sp % 100)
        return f

    def product(self, i, with_stock=True):
        """The admin-scope product as GET /V1/products/{sku} answers it
        (with extension_attributes.stock_item; lists drop it)."""
        f = self.facts(i)
        role = f.role
        p = {
            "id": i + 1, "sku": f.sku, "name": f.name, "attribute_set_id": f.set_id,
            "price": money(f.price_c), "status": f.status,
            "visibility": 1 if role == ROLE_CHILD else 4, "type_id": TYPE_OF_ROLE[role],
            "created_at": f.created, "updated_at": f.updated,
        }
        if f.weight is not None:
            p["weight"] = f.weight
        ext = {"website_ids": [1],
               "category_links": [{"position": k, "category_id": str(c)}
                                  for k, c in enumerate(f.cat_ids)]}
        if with_stock:
            ext["stock_item"] = self.stock_item(i, self.qty(i, f.pd))
        if role == ROLE_PARENT:
            ext["configurable_product_options"] = self.configurable_options(i, f.opts)
            ext["configurable_product_links"] = [c + 1 for c in self.kids[i]]
        p["extension_attributes"] = ext
        p["product_links"] = []
        p["options"] = []
        p["media_gallery_entries"] = [
            {"id": (i + 1) * 4 + k, "media_type": "image",
             "label": None if k else f.name, "position": k + 1, "disabled": False,
             "types": ["image", "small_image", "thumbnail"] if k == 0 else [],
             "file": fl}
            for k, fl in enumerate(f.files)]
        p["tier_prices"] = []
        p["custom_attributes"] = [{"attribute_code": c, "value": v} for c, v in self._attrs(f)]
        return p

    def _attrs(self, f):
        """(code, value) of the custom attributes, in Magento's order."""
        f0 = f.files[0]
        out = []
        if f.desc is not None:
            out.append(("description", f.desc))
        if f.short is not None:
            out.append(("short_description", f.short))
        out += [("image", f0), ("small_image", f0), ("thumbnail", f0), ("url_key", f.url_key),
                ("options_container", "container2"), ("required_options", "0"),
                ("has_options", "1" if f.role == ROLE_PARENT else "0"),
                ("msrp_display_actual_price_type", "0"),
                ("category_ids", [str(c) for c in f.cat_ids])]
        if f.role != ROLE_PARENT:
            out.append(("tax_class_id", "2"))
            out.append(("upc", f.upc))
        if f.role == ROLE_CHILD:
            out.append(("color", str(f.color[1])))
            out.append(("size", str(f.size[1])))
        if f.special is not None:
            out.append(("special_price", f.special))
        out.append(("gift_message_available", "0"))
        return out

    def product_json(self, i):
        """json.dumps(product(i, with_stock=False), separators=(",", ":")),
        built directly as text: the list pages' hot path."""
        f = self.facts(i)
        role = f.role
        price = money(f.price_c)
        parts = ['{"id":%d,"sku":%s,"name":%s,"attribute_set_id":%d,"price":%r,"status":%d,'
                 '"visibility":%d,"type_id":"%s","created_at":"%s","updated_at":"%s"'
                 % (i + 1, _js(f.sku), _js(f.name), f.set_id, price, f.status,
                    1 if role == ROLE_CHILD else 4, TYPE_OF_ROLE[role], f.created, f.updated)]
        if f.weight is not None:
            parts.append(',"weight":%r' % (f.weight,))
        parts.append(',"extension_attributes":{"website_ids":[1],"category_links":[')
        parts.append(",".join('{"position":%d,"category_id":"%d"}' % (k, c)
                              for k, c in enumerate(f.cat_ids)))
        parts.append("]")
        if role == ROLE_PARENT:
            parts.append(',"configurable_product_options":')
            parts.append(json.dumps(self.configurable_options(i, f.opts), separators=(",", ":")))
            parts.append(',"configurable_product_links":[%s]' % ",".join(str(c + 1) for c in self.kids[i]))
        parts.append('},"product_links":[],"options":[],"media_gallery_entries":[')
        ents = []
        for k, fl in enumerate(f.files):
            ents.append('{"id":%d,"media_type":"image","label":%s,"position":%d,"disabled":false,'
                        '"types":%s,"file":%s}'
                        % ((i + 1) * 4 + k, "null" if k else _js(f.name), k + 1,
                           '["image","small_image","thumbnail"]' if k == 0 else "[]", _js(fl)))
        parts.append(",".join(ents))
        parts.append('],"tier_prices":[],"custom_attributes":[')
        attrs = []
        for code, v in self._attrs(f):
            if isinstance(v, list):
                val = "[" + ",".join(_js(x) for x in v) + "]"
            else:
                val = _js(v)
            attrs.append('{"attribute_code":"%s","value":%s}' % (code, val))
        parts.append(",".join(attrs))
        parts.append("]}")
        return "".join(parts)

    def url_key(self, i):
        return "%s-%d" % (slug(self.name(i)), i + 1)

    def description(self, i, pd=None):
        v = (pd or self.pd(i)).v
        kind = self.leaf(i).kind[2].lower()
        w = WORDS
        return ("<p>The %s %s is made for hard work &amp; play: %s, %s and %s.</p>\n"
                "<p>&bull; Machine wash/dry.<br />&bull; %d%% recycled fibres.</p>"
                % (w[v[P_W1] % len(w)], kind, w[v[P_W2] % len(w)], w[v[P_W3] % len(w)],
                   w[v[P_W4] % len(w)], v[P_PCT] % 100))

    # -- stock listing (MSI source items) ----------------------------------
    def stock_index(self):
        """(product index array, source number bytes) for every generated
        source item, in source_item_id order; built on first use."""
        with self._lazy:
            return self._stock_index_locked()

    def _stock_index_locked(self):
        if self._stock_index is None:
            prods = array.array("i")
            srcs = bytearray()
            two = len(self.sources) >= 2
            for i in range(self.n):
                if self.role[i] == ROLE_PARENT:
                    continue
                prods.append(i)
                srcs.append(0)
                if two and self.second_qty(i) is not None:
                    prods.append(i)
                    srcs.append(1)
            self._stock_index = (prods, bytes(srcs))
        return self._stock_index

    def category_counts(self):
        with self._lazy:
            return self._category_counts_locked()

    def _category_counts_locked(self):
        # product_count is informative only (magsync reads names): exact up
        # to 200,000 products, beyond that scaled up from the first 200,000
        # so a first GET /V1/categories stays quick on huge catalogues.
        if self._cat_counts is None:
            limit = min(self.n, 200000)
            counts = {}
            for i in range(limit):
                if self.role[i] == ROLE_CHILD:
                    continue
                for c in self.category_ids(i):
                    counts[c] = counts.get(c, 0) + 1
            if limit < self.n:
                scale = self.n / float(limit)
                counts = {c: int(round(k * scale)) for c, k in counts.items()}
            self._cat_counts = counts
        return self._cat_counts


class Orders:
    """Orders 1..count over the last `days` days before `now`, in creation
    order; order j is computed from (seed, j) and the catalogue."""

    def __init__(self, seed, count, catalog, days=30, now=None,
                 status_weights=None, virtual_share=0.05):
        self.seed = seed
        self.count = count
        self.cat = catalog
        self.days = max(1, days)
        self.now = int(now if now is not None else time.time())
        w = status_weights or DEFAULT_STATUS_WEIGHTS
        self.statuses = []
        for s, n in w:
            self.statuses.extend([s] * n)
        self.virtual_share = virtual_share
        # sellable products: standalone simples, children, virtuals
        self._shipped_index = None

    def created_ts(self, j):
        span = self.days * 86400
        step = span / max(1, self.count)
        jitter = Draw(self.seed, b"oat", j).below(max(1, int(step)))
        return int(self.now - span + j * step + jitter)

    def updated_ts(self, j):
        return min(self.now, self.created_ts(j) + Draw(self.seed, b"ord", j).v[0] % (3 * 86400))

    def status(self, j):
        return self.statuses[Draw(self.seed, b"ost", j).below(len(self.statuses))]

    def is_virtual(self, j):
        if self.virtual_share <= 0:
            return False
        return Draw(self.seed, b"ovirt", j).unit() < self.virtual_share

    def increment_id(self, j):
        return "%09d" % (j + 1)

    def _pick_product(self, d, virtual):
        if virtual:
            vs = self.cat.virtual
            return vs[d.below(len(vs))] if len(vs) else -1
        n = self.cat.n
        for _ in range(24):
            if n == 0:
                break
            i = d.below(n)
            if self.cat.role[i] in (ROLE_SIMPLE, ROLE_CHILD):
                return i
        return -1

    def address(self, d, kind, first, last, email, order_id, addr_id):
        reg = d.pick(REGIONS)
        a = {
            "address_type": kind, "city": reg[4], "country_id": reg[0],
            "email": email, "entity_id": addr_id, "firstname": first,
            "lastname": last, "parent_id": order_id, "postcode": reg[5],
            "street": ["%d %s" % (1 + d.below(9000), d.pick(STREETS))],
            "telephone": "(555) %03d-%04d" % (d.below(1000), d.below(10000)),
        }
        if d.below(4) == 0:
            a["street"].append("Apt %d" % (1 + d.below(400)))
        if d.below(5) == 0:
            a["company"] = "%s %s GmbH" % (d.pick(NAMES), d.pick(STYLES))
        if reg[1] is not None:
            a["region"] = reg[1]
            a["region_code"] = reg[2]
            a["region_id"] = reg[3]
        else:
            a["region"] = None
        return a

    def order(self, j):
        oid = j + 1
        d = Draw(self.seed, b"ord", j)
        d2 = Draw(self.seed, b"ord2", j)
        status = self.status(j)
        virtual = self.is_virtual(j)
        created = self.created_ts(j)
        updated = self.updated_ts(j)
        d.u32()     # slot 0 is updated_ts's
        first, last = d.pick(FIRST), d.pick(LAST)
        email = "%s.%s%d@example.com" % (ascii_slug(first), ascii_slug(last), d.below(1000))
        items = []
        base_item = oid * 16
        lines = 1 + d.below(3)
        subtotal = 0
        qty_total = 0
        weight_total = 0.0
        shipped = status == "complete"
        canceled = status == "canceled"
        for ln in range(lines):
            i = self._pick_product(d2, virtual)
            qty = 1 + d2.below(3)
            if i < 0:
                sku = "ORDER-ONLY-%d-%d" % (oid, ln)
                name, price_c, ptype, pid, weight = "Gift Card %d" % ln, 2500, "virtual" if virtual else "simple", None, 0
                parent = None
            else:
                sku = self.cat.sku(i)
                name = self.cat.name(i)
                price_c = self.cat.price_cents(i)
                ptype = self.cat.type_id(i)
                pid = i + 1
                weight = 0 if ptype == "virtual" else 1
                parent = self.cat.parent[i] if self.cat.role[i] == ROLE_CHILD else None
            item_id = base_item + len(items) + 1
            price = money(price_c)
            row = money(price_c * qty)
            line = self._item(oid, item_id, sku, name, ptype, pid, price, row,
                              qty, weight, shipped, canceled, created, updated)
            if virtual:
                line["is_virtual"] = 1
            if parent is not None:
                # Magento's two lines: the configurable parent carries the
                # child's SKU and the price, the child line has price 0.
                line["product_type"] = "configurable"
                line["product_id"] = parent + 1
                line["name"] = self.cat.name(parent)
                size, color = self.cat.child_options(i)
                line["product_option"] = {"extension_attributes": {
                    "configurable_item_options": [
                        {"option_id": str(SIZE_ATTR_ID), "option_value": size[1]},
                        {"option_id": str(COLOR_ATTR_ID), "option_value": color[1]}]}}
                items.append(line)
                child = self._item(oid, item_id + 1, sku, name, "simple", i + 1,
                                   0, 0, qty, weight, shipped, canceled, created, updated)
                child["parent_item_id"] = item_id
                child["parent_item"] = dict(line)
                items.append(child)
            else:
                items.append(line)
            subtotal += price_c * qty
            qty_total += qty
            weight_total += weight * qty
        ship_code, ship_desc = d.pick(SHIPPING_METHODS)
        if virtual:
            ship_c = 0
        elif ship_code.startswith("freeshipping"):
            ship_c = 0
        else:
            ship_c = 500 * qty_total if ship_code.startswith("flatrate") else 799 + 100 * d.below(20)
        coupon = None
        discount_c = 0
        if d.below(6) == 0:
            coupon = d.pick(["SUMMER10", "WELCOME", "H20", "FREESHIP"])
            discount_c = subtotal // 10
        grand = subtotal + ship_c - discount_c
        billing = self.address(d, "billing", first, last, email, oid, oid * 2 - 1)
        order = {
            "base_currency_code": "USD", "base_discount_amount": -money(discount_c) if discount_c else 0,
            "base_grand_total": money(grand), "base_shipping_amount": money(ship_c),
            "base_subtotal": money(subtotal), "base_tax_amount": 0,
            "base_total_due": 0 if status in ("complete", "processing") else money(grand),
            "billing_address_id": oid * 2 - 1,
            "created_at": fmt_time(created),
            "customer_email": email, "customer_firstname": first,
            "customer_lastname": last, "customer_group_id": 0 if d.below(3) == 0 else 1,
            "customer_is_guest": 1 if d.below(3) == 0 else 0,
            "customer_note_notify": 1,
            "discount_amount": -money(discount_c) if discount_c else 0,
            "email_sent": 1,
            "entity_id": oid, "global_currency_code": "USD",
            "grand_total": money(grand),
            "increment_id": self.increment_id(j),
            "is_virtual": 1 if virtual else 0,
            "order_currency_code": "USD", "protect_code": "%08x" % d.u32(),
            "quote_id": oid + 1000, "remote_ip": "192.0.2.%d" % (1 + d.below(250)),
            "shipping_amount": money(ship_c),
            "state": STATUS_STATE.get(status, status), "status": status,
            "store_currency_code": "USD", "store_id": 1,
            "store_name": "Main Website\nMain Website Store\nDefault Store View",
            "subtotal": money(subtotal), "subtotal_incl_tax": money(subtotal),
            "tax_amount": 0,
            "total_due": 0 if status in ("complete", "processing") else money(grand),
            "total_item_count": len(items), "total_qty_ordered": qty_total,
            "updated_at": fmt_time(updated),
            "weight": weight_total,
            "items": items,
            "billing_address": billing,
            "payment": {
                "account_status": None, "additional_information": ["Check / Money order"],
                "amount_ordered": money(grand), "base_amount_ordered": money(grand),
                "base_shipping_amount": money(ship_c), "cc_last4": None,
                "entity_id": oid, "method": "checkmo", "parent_id": oid,
                "shipping_amount": money(ship_c)},
            "status_histories": [],
        }
        if coupon:
            order["coupon_code"] = coupon
            order["discount_description"] = coupon
        if d.below(5) == 0:
            order["customer_note"] = d.pick(["Please leave at the back door.",
                                             "Gift — no invoice in the parcel",
                                             "Call before delivery: (555) 010-0199"])
        if status in ("complete", "processing"):
            order["total_paid"] = money(grand)
            order["base_total_paid"] = money(grand)
            order["total_invoiced"] = money(grand)
        if status == "holded":
            order["hold_before_state"] = "processing"
            order["hold_before_status"] = "processing"
        if not virtual:
            order["shipping_description"] = ship_desc
            order["shipping_incl_tax"] = money(ship_c)
            order["base_shipping_incl_tax"] = money(ship_c)
        shipping = {"total": {"base_shipping_amount": money(ship_c),
                              "shipping_amount": money(ship_c),
                              "shipping_incl_tax": money(ship_c),
                              "base_shipping_incl_tax": money(ship_c),
                              "shipping_tax_amount": 0}}
        if not virtual:
            if d.below(4) == 0:
                ship_addr = self.address(d, "shipping", d.pick(FIRST), last, email, oid, oid * 2)
            else:
                ship_addr = dict(billing)
                ship_addr["address_type"] = "shipping"
                ship_addr["entity_id"] = oid * 2
            shipping["address"] = ship_addr
            shipping["method"] = ship_code
        order["extension_attributes"] = {
            "shipping_assignments": [{"shipping": shipping, "items": items}],
            "payment_additional_info": [{"key": "method_title", "value": "Check / Money order"}],
            "applied_taxes": [], "item_applied_taxes": [],
            "converting_from_quote": False,
        }
        return order

    @staticmethod
    def _item(oid, item_id, sku, name, ptype, pid, price, row, qty, weight,
              shipped, canceled, created, updated):
        it = {
            "amount_refunded": 0, "base_amount_refunded": 0,
            "base_discount_amount": 0, "base_original_price": price,
            "base_price": price, "base_price_incl_tax": price,
            "base_row_total": row, "base_row_total_incl_tax": row,
            "base_tax_amount": 0, "created_at": fmt_time(created),
            "discount_amount": 0, "discount_percent": 0, "free_shipping": 0,
            "is_qty_decimal": 0, "is_virtual": 1 if ptype == "virtual" else 0,
            "item_id": item_id, "name": name, "no_discount": 0,
            "order_id": oid, "original_price": price, "price": price,
            "price_incl_tax": price, "product_type": ptype,
            "qty_canceled": qty if canceled else 0, "qty_invoiced": qty if shipped else 0,
            "qty_ordered": qty, "qty_refunded": 0,
            "qty_shipped": qty if shipped and ptype != "virtual" else 0,
            "quote_item_id": item_id + 5000, "row_invoiced": row if shipped else 0,
            "row_total": row, "row_total_incl_tax": row, "row_weight": weight * qty,
            "sku": sku, "store_id": 1, "tax_amount": 0, "tax_percent": 0,
            "updated_at": fmt_time(updated), "weight": weight,
        }
        if pid is not None:
            it["product_id"] = pid
        return it

    def shipped_index(self):
        """Orders that were generated complete: each has one shipment."""
        if self._shipped_index is None:
            self._shipped_index = array.array(
                "i", (j for j in range(self.count)
                      if self.status(j) == "complete" and not self.is_virtual(j)))
        return self._shipped_index

    def shipment(self, k, order):
        """Generated shipment number k (entity_id k+1) of a complete order."""
        sid = k + 1
        d = Draw(self.seed, b"shp", k)
        carrier = d.pick([("ups", "United Parcel Service"), ("fedex", "Federal Express"),
                          ("usps", "United States Postal Service"), ("custom", "Royal Mail")])
        if carrier[0] == "ups":
            number = "1Z%03dX%02d%08d" % (d.below(1000), d.below(100), d.below(10 ** 8))
        elif carrier[0] == "fedex":
            number = "%012d" % (d.u32() * 1000 + d.below(1000))
        elif carrier[0] == "usps":
            number = "9400%018d" % (d.u32() * 100000 + d.below(100000))
        else:
            number = "RM%09dGB" % d.below(10 ** 9)
        created = order["updated_at"]
        items = []
        for it in order["items"]:
            if it.get("parent_item_id") or it.get("is_virtual"):
                continue
            items.append({"entity_id": sid * 16 + len(items) + 1, "parent_id": sid,
                          "order_item_id": it["item_id"], "qty": it["qty_ordered"],
                          "sku": it["sku"], "name": it["name"], "price": it["price"],
                          "product_id": it.get("product_id"), "weight": it.get("weight")})
        return {
            "billing_address_id": order["billing_address_id"], "created_at": created,
            "customer_id": None, "email_sent": 1, "entity_id": sid,
            "increment_id": "%09d" % sid, "order_id": order["entity_id"],
            "packages": [], "shipping_address_id": order["entity_id"] * 2,
            "store_id": 1, "total_qty": sum(x["qty"] for x in items),
            "updated_at": created, "items": items,
            "tracks": [{"order_id": order["entity_id"], "created_at": created,
                        "entity_id": sid * 8, "parent_id": sid, "updated_at": created,
                        "weight": None, "qty": None, "description": None,
                        "track_number": number, "title": carrier[1],
                        "carrier_code": carrier[0]}],
            "comments": [],
            "extension_attributes": {"source_code": "default"},
        }
