"""The house's import contracts, read from the source (AST): who may import whom, no circles, no module too long.

1. The faces (facegate.cli, facegate.api, facegate.web) never import facegate.vault, facegate.store, facegate.engine
   or the audit log's writer (facegate.audit.log, or AuditLog from facegate.audit); they go through facegate.gate
   (and gate.audit_records) or facegate.oversight. Two exceptions, each for data that is neither personal nor
   biometric: the API service's own tables (facegate.api.keys, .submissions, .models: API keys and blocked
   submissions) use facegate.store; facegate.cli.engine, whose commands evaluate files (detect, eval, calibrate, the
   demo's photo-to-photo walkthrough) and keep nothing (no subject, no template, no decision), uses the engine.
2. Only the gate's engine-facing parts import facegate.engine (besides the engine itself and the exception above):
   the engine host (facegate.gate.engines), the galleries (their index), liveness (its frame checks) and door
   cameras (facegate.gate.streams: a frame's sightings).
3. facegate.engine never imports facegate.policy.
4. facegate.policy does no I/O: it imports no room with storage (store, vault, audit, engine, gate, oversight,
   edge, the faces) and no I/O library, and reads no clock (`now()`, `today()`, `time()`); time is passed in.
5. No import circles among facegate's modules (imports under `if TYPE_CHECKING:` are annotations, not imports).
6. No module over 500 lines.
7. One clock: only facegate.clock reads the time of day (`datetime.now()`, `date.today()`, `time.time()`, ...);
   everything else takes "now" from a Context's clock, so a test can set the date (monotonic timers are fine).
8. Every audit append goes through the one writer, facegate.audit.writer, and every Event names its operation by
   facegate.events.Op (an `Op.X`, `Op(...)` or a variable annotated `Op`; never a string).
9. Only facegate.config reads the environment (`os.environ`, `os.getenv`); everything else takes a Config.
10. Packages point down only: no circle among facegate's top-level packages (through any module, a late import
    inside a function included), and each imports only packages of a lower layer of LAYERS (docs/house.md).
12. Every exception class lives in facegate.errors, but for a private one (`_Name`, it never leaves its module), the
    Python client's mirror of the API's problems (facegate.client.problems: ApiError and its subclasses, raised in
    the client's process) and the auditors' one-file verifier (facegate.audit.standalone_verify, no facegate
    imports); errors.py says why.
11. The edge (facegate.edge, facegate.streams) uses only the gate's public methods: it never reads `gate.db`,
    `gate.audit`, `gate.context`, `gate.vault` or a private `gate._x`; what it uses of the context (its tables, the
    audit log and its writer, the key store) comes from `Gate.edge_parts()` (facegate.context.EdgeParts).
"""

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"
FACES = ("facegate.cli", "facegate.api", "facegate.web")
SERVICE_TABLES = ("facegate.api.keys", "facegate.api.submissions", "facegate.api.models")
FILE_EVALUATION = ("facegate.cli.engine",)
ENGINE_PARTS = ("facegate.gate.engines", "facegate.gate.galleries", "facegate.gate.liveness", "facegate.gate.streams")
POLICY_MAY_NOT = ("facegate.store", "facegate.vault", "facegate.audit", "facegate.engine", "facegate.gate",
                  "facegate.oversight", "facegate.edge", *FACES)  # fmt: skip
IO_LIBRARIES = ("os", "io", "pathlib", "shutil", "socket", "subprocess", "sqlite3", "sqlalchemy", "httpx",
                "urllib.request", "requests", "tempfile", "glob")  # fmt: skip
CLOCK_CALLS = ("now", "utcnow", "today", "time", "monotonic")
MAX_LINES = 500
FACES_MAY_NOT = ("facegate.vault", "facegate.store", "facegate.engine", "facegate.audit.log", "facegate.audit.writer")


def module_names() -> dict[str, Path]:
    """Every module of facegate by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((SRC / "facegate").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = module_names()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


def imports(name: str) -> Iterator[tuple[str, int]]:
    """The modules `name` imports (`from pkg import mod` counts as importing pkg.mod), with their lines."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    skipped = _type_checking_nodes(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in MODULES else base), node.lineno


def within(module: str, *packages: str) -> bool:
    """Whether `module` is one of `packages` or inside one."""
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_faces_never_import_vault_store_engine_or_the_audit_writer() -> None:
    broken = []
    for name in MODULES:
        if not within(name, *FACES):
            continue
        tree = ast.parse(MODULES[name].read_text())
        for target, line in imports(name):
            allowed = (name in SERVICE_TABLES and within(target, "facegate.store")) or (
                name in FILE_EVALUATION and within(target, "facegate.engine")
            )
            if not allowed and within(target, *FACES_MAY_NOT):
                broken.append(f"{name}:{line} imports {target}")
        for node in ast.walk(tree):
            writer = isinstance(node, ast.ImportFrom) and node.module == "facegate.audit"
            if writer and any(a.name == "AuditLog" for a in node.names):  # type: ignore[union-attr]
                broken.append(f"{name}:{node.lineno} imports the audit log's writer (AuditLog)")
    assert not broken, "\n".join(broken)


def test_only_the_gates_engine_parts_import_the_engine() -> None:
    importers = {
        name
        for name in MODULES
        if not within(name, "facegate.engine")
        for target, _ in imports(name)
        if within(target, "facegate.engine")
    }
    assert importers == {*ENGINE_PARTS, *FILE_EVALUATION}


def test_the_engine_never_imports_policy() -> None:
    broken = [
        f"{name}:{line} imports {target}"
        for name in MODULES
        if within(name, "facegate.engine")
        for target, line in imports(name)
        if within(target, "facegate.policy")
    ]
    assert not broken, "\n".join(broken)


def test_policy_does_no_io_and_reads_no_clock() -> None:
    broken = []
    for name in MODULES:
        if not within(name, "facegate.policy"):
            continue
        for target, line in imports(name):
            if within(target, *POLICY_MAY_NOT) or within(target, *IO_LIBRARIES):
                broken.append(f"{name}:{line} imports {target}")
        for node in ast.walk(ast.parse(MODULES[name].read_text())):
            if isinstance(node, ast.Call):
                called = node.func
                if isinstance(called, ast.Name) and called.id == "open":
                    broken.append(f"{name}:{node.lineno} opens a file")
                if isinstance(called, ast.Attribute) and called.attr in CLOCK_CALLS:
                    broken.append(f"{name}:{node.lineno} reads the clock ({ast.unparse(called)})")
    assert not broken, "\n".join(broken)


TIME_OF_DAY = {"now", "utcnow", "today", "time", "time_ns", "localtime", "gmtime", "ctime"}
CLOCK_OWNERS = {"datetime", "date", "time"}


def clock_reads(source: str) -> list[tuple[int, str]]:
    """Where `source` reads the time of day (`datetime.now`, `date.today`, `time.time`, ...), called or passed."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in TIME_OF_DAY:
            owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
            if owner in CLOCK_OWNERS:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [(node.lineno, f"from time import {a.name}") for a in node.names if a.name in TIME_OF_DAY]
    return found


def test_only_the_clock_module_reads_the_time_of_day() -> None:
    broken = [
        f"{MODULES[name].relative_to(SRC)}:{line} reads the time of day ({text}): take now from the context's clock"
        for name in MODULES
        if name != "facegate.clock"
        for line, text in clock_reads(MODULES[name].read_text())
    ]
    assert not broken, "\n".join(broken)


def test_the_clock_contract_sees_every_way_of_reading_the_time() -> None:
    planted = "\n".join([
        "import datetime, time",
        "from time import time as t",
        "a = datetime.datetime.now()",
        "b = datetime.date.today()",
        "c = time.time()",
        "d = field(default_factory=datetime.datetime.utcnow)",
        "e = time.monotonic()",
        "f = self.clock().date()",
    ])  # fmt: skip
    assert [line for line, _ in clock_reads(planted)] == [2, 3, 4, 5, 6]


def circles() -> list[list[str]]:
    """The import circles among facegate's modules (strongly connected components of more than one module)."""
    graph = {name: sorted({t for t, _ in imports(name) if t in MODULES}) for name in MODULES}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for name in graph:
            if name not in order:
                visit(name)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_no_import_circles() -> None:
    assert circles() == []


def test_no_module_over_500_lines() -> None:
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_contracts_see_a_circle_and_a_side_door() -> None:
    # The checks themselves: the walker finds the imports the contracts are about.
    assert any(t == "facegate.gate" for t, _ in imports("facegate.api.app"))
    assert any(within(t, "facegate.engine") for t, _ in imports("facegate.gate.engines"))
    assert any(t == "facegate.store.migrate" for t, _ in imports("facegate.store.database"))


# The one writer, its group commit (a batch of the writer's events in one transaction), the log's own purge record.
AUDIT_WRITERS = {"facegate.audit.writer", "facegate.audit.group", "facegate.audit.log"}
APPENDS = ("append", "append_many")


def audit_appends(source: str) -> list[tuple[int, str]]:
    """Where `source` appends to an audit log itself (`audit.append(...)`, `gate.audit.append_many(...)`, ...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in APPENDS:
            receiver = ast.unparse(node.func.value)
            if receiver in ("audit", "log", "audit_log") or receiver.endswith((".audit", ".audit_log", ".log")):
                found.append((node.lineno, ast.unparse(node.func)))
    return found


def test_every_audit_append_goes_through_the_one_writer() -> None:
    broken = [
        f"{MODULES[name].relative_to(SRC)}:{line} appends to the audit log itself ({text}): use facegate.audit.writer"
        for name in MODULES
        if name not in AUDIT_WRITERS
        for line, text in audit_appends(MODULES[name].read_text())
    ]
    assert not broken, "\n".join(broken)


def test_the_writer_contract_sees_an_append() -> None:
    planted = "\n".join(["self.audit.append(s, e)", "log.append_many(s, es)", "rows.append(x)",
                         "self.gate.audit.append(s, e)", "records.log.append(s, e)"])  # fmt: skip
    assert [line for line, _ in audit_appends(planted)] == [1, 2, 4, 5]


EDGE = ("facegate.edge", "facegate.streams")
GATE_INSIDES = ("db", "audit", "context", "vault")


def gate_reach_throughs(source: str) -> list[tuple[int, str]]:
    """Where `source` reads the gate's insides: `gate.db`, `self.gate.audit`, `hub.gate.context`, `gate._x`, ..."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and (node.attr in GATE_INSIDES or node.attr.startswith("_")):
            value = node.value
            if (isinstance(value, ast.Name) and value.id == "gate") or (
                isinstance(value, ast.Attribute) and value.attr == "gate"
            ):
                found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_edge_uses_only_the_gates_public_methods() -> None:
    broken = [
        f"{MODULES[name].relative_to(SRC)}:{line} reads the gate's insides ({text}): use gate.edge_parts() or a "
        "public method of the gate"
        for name in MODULES
        if within(name, *EDGE)
        for line, text in gate_reach_throughs(MODULES[name].read_text())
    ]
    assert not broken, "\n".join(broken)


def test_the_edge_contract_sees_a_reach_through() -> None:
    planted = "\n".join([
        "with self.gate.db.session() as s: pass",
        "key = gate.audit.key",
        "gate.context.writer.append(s, e)",
        "hub.gate.vault.keystore",
        "gate._subjects.add(x)",
        "gate.edge_parts().db.session()",
        "self.gate.deployment_spec(d)",
        "self.parts.audit.key",
    ])  # fmt: skip
    assert [line for line, _ in gate_reach_throughs(planted)] == [1, 2, 3, 4, 5]


ERRORS_ELSEWHERE = ("facegate.client.problems", "facegate.audit.standalone_verify")
LIBRARY_EXCEPTIONS = {"HTTPException", "ValidationError", "HTTPError"}


def exception_classes(sources: dict[str, str]) -> list[tuple[str, int, str]]:
    """(module, line, class) of every exception class defined in `sources`: a subclass of a built-in exception,
    of a library's (LIBRARY_EXCEPTIONS) or of another exception class found here, by the base's last name."""
    import builtins

    known = {n for n in dir(builtins) if isinstance(getattr(builtins, n), type)
             and issubclass(getattr(builtins, n), BaseException)} | LIBRARY_EXCEPTIONS  # fmt: skip
    classes = [(name, node) for name, source in sources.items() for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.ClassDef)]  # fmt: skip
    found: dict[tuple[str, int, str], None] = {}
    grew = True
    while grew:
        grew = False
        for name, node in classes:
            bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
            if bases & known and (name, node.lineno, node.name) not in found:
                found[(name, node.lineno, node.name)] = None
                known.add(node.name)
                grew = True
    return sorted(found)


def test_every_error_class_lives_in_errors_py() -> None:
    sources = {name: MODULES[name].read_text() for name in MODULES}
    found = exception_classes(sources)
    assert any(cls == "Unavailable" and name == "facegate.errors" for name, _, cls in found)
    broken = [
        f"{MODULES[name].relative_to(SRC)}:{line} defines the error class {cls}: move it to facegate/errors.py"
        for name, line, cls in found
        if name != "facegate.errors" and name not in ERRORS_ELSEWHERE and not cls.startswith("_")
    ]
    assert not broken, "\n".join(broken)


def test_the_error_contract_sees_an_error_class_outside_errors_py() -> None:
    planted = {
        "facegate.errors": "class FacegateError(Exception): pass\nclass InputError(FacegateError): pass",
        "facegate.gate.x": "class Busy(InputError): pass\nclass _Stop(Exception): pass\nclass Row(Base): pass",
        "facegate.api.y": "class Big(starlette.exceptions.HTTPException): pass\nclass Gone(Busy): pass",
    }
    assert [(n, c) for n, _, c in exception_classes(planted) if n != "facegate.errors"] == [
        ("facegate.api.y", "Big"), ("facegate.api.y", "Gone"),
        ("facegate.gate.x", "Busy"), ("facegate.gate.x", "_Stop"),
    ]  # fmt: skip


def environment_reads(source: str) -> list[tuple[int, str]]:
    """Where `source` reads the process environment (`os.environ`, `os.getenv`, `from os import environ`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"from os import {a.name}") for a in node.names if a.name in ("environ", "getenv")]
    return found


def test_only_the_config_module_reads_the_environment() -> None:
    broken = [
        f"{MODULES[name].relative_to(SRC)}:{line} reads the environment ({text}): add it to facegate.config"
        for name in MODULES
        if name != "facegate.config"
        for line, text in environment_reads(MODULES[name].read_text())
    ]
    assert not broken, "\n".join(broken)


def test_the_environment_contract_sees_every_read() -> None:
    planted = "import os\nfrom os import environ\na = os.environ.get('X')\nb = os.getenv('Y')\nc = os.path.join('a')"
    assert sorted(line for line, _ in environment_reads(planted)) == [2, 3, 4]


# The layers, lowest first (docs/house.md): a top-level package (or module) of facegate imports only from lower ones.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("facegate", "clock", "config", "errors", "languages", "wording"),  # leaves ("facegate": its __init__)
    ("events", "home", "metrics"),
    ("engine", "policy"),  # pixels to embeddings; specs and rules to findings; neither knows the other
    ("store",),
    ("changes",),  # the change feed paired nodes follow, written by the audit writer
    ("audit", "vault"),
    ("webhooks", "placement", "context", "doctor"),
    ("health", "oversight"),  # oversight reads the devices through an interface the edge implements
    ("gate",),
    ("edge", "streams"),  # hub and device; door cameras (driving the gate's door)
    ("api", "client"),
    ("web",),  # on the API's service layer
    ("server",),  # the API with the web mounted
    ("cli",),
    ("__main__",),
)  # fmt: skip


def package_of(module: str) -> str:
    """The top-level package (or module) of facegate a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_graph() -> dict[str, dict[str, str]]:
    """Each top-level package -> the packages it imports, each with one import that shows it (module:line)."""
    graph: dict[str, dict[str, str]] = {package_of(name): {} for name in MODULES}
    for name in MODULES:
        for target, line in imports(name):
            if within(target, "facegate") and package_of(target) != package_of(name):
                graph[package_of(name)].setdefault(package_of(target), f"{name}:{line} imports {target}")
    return graph


def package_cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The circles among packages: each pair that reach each other, as the sorted packages of one circle."""

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), {}):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reached = {p: reach(p) for p in graph}
    circles = {tuple(sorted(q for q in graph if q == p or (q in reached[p] and p in reached[q]))) for p in graph}
    return sorted(list(c) for c in circles if len(c) > 1)


def layer_violations(graph: dict[str, dict[str, str]], layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """Imports of a package from its own layer or a higher one, and packages no layer declares."""
    level = {p: i for i, layer in enumerate(layers) for p in layer}
    broken = [f"{p} is in no layer: add it to LAYERS (and docs/house.md)" for p in graph if p not in level]
    for p, targets in graph.items():
        for q, where in targets.items():
            if p in level and q in level and level[q] >= level[p]:
                broken.append(f"{p} (layer {level[p]}) imports {q} (layer {level[q]}): {where}")
    return broken


def test_no_package_circles_and_layers_point_down() -> None:
    graph = package_graph()
    assert package_cycles(graph) == []
    broken = layer_violations(graph, LAYERS)
    assert not broken, "\n".join(broken)


def test_the_layer_contract_sees_a_circle_and_an_upward_import() -> None:
    graph = package_graph()
    assert "gate" in graph["edge"] and "policy" in graph["gate"]  # the walker sees real package imports
    planted = {**graph, "policy": {**graph["policy"], "gate": "facegate.policy.spec:1 imports facegate.gate"}}
    assert ["edge", "gate", "policy"] not in package_cycles(planted)  # edge reaches gate, but not back
    assert any(set(c) >= {"gate", "policy"} for c in package_cycles(planted))
    assert any(v.startswith("policy (layer 2) imports gate (layer ") for v in layer_violations(planted, LAYERS))
    assert layer_violations({"newroom": {}}, LAYERS) == ["newroom is in no layer: add it to LAYERS (and docs/house.md)"]


def untyped_events(source: str) -> list[tuple[int, str]]:
    """`Event(...)` calls whose operation is not an `Op`: a string, a variable not annotated `Op`, or none given."""
    found = []
    scopes: list[tuple[ast.AST, dict[str, str]]] = [(ast.parse(source), {})]
    while scopes:
        node, typed = scopes.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                args = [*child.args.posonlyargs, *child.args.args, *child.args.kwonlyargs]
                names = {a.arg: ast.unparse(a.annotation) for a in args if a.annotation is not None}
                scopes.append((child, {**typed, **names}))
                continue
            scopes.append((child, typed))
            if isinstance(child, ast.Call) and getattr(child.func, "id", None) == "Event":
                given = {k.arg: k.value for k in child.keywords}
                value = given.get("operation")
                ok = (
                    (isinstance(value, ast.Attribute) and ast.unparse(value.value) == "Op")
                    or (isinstance(value, ast.Call) and getattr(value.func, "id", None) == "Op")
                    or (isinstance(value, ast.Name) and typed.get(value.id) == "Op")
                )
                if not ok:
                    found.append((child.lineno, ast.unparse(value) if value is not None else "(none)"))
    return sorted(found)


def test_every_audit_event_names_its_operation_by_op() -> None:
    broken = [
        f"{MODULES[name].relative_to(SRC)}:{line} builds an Event whose operation is {text}: use facegate.events.Op"
        for name in MODULES
        for line, text in untyped_events(MODULES[name].read_text())
    ]
    assert not broken, "\n".join(broken)


def test_the_event_contract_sees_an_untyped_operation() -> None:
    planted = "\n".join([
        "Event(actor='a', operation=Op.VERIFY)",
        "Event(actor='a', operation='verify')",
        "def f(op: Op, name: str) -> None:",
        "    Event(operation=op)",
        "    Event(operation=name)",
        "    Event(operation=Op(name))",
        "Event(actor='a')",
    ])  # fmt: skip
    assert [line for line, _ in untyped_events(planted)] == [2, 5, 7]


def route_imports(names: list[str]) -> list[str]:
    """Imports by the web face of the API's route modules or app: the two faces share only the service layer."""
    return [
        f"{name}:{line} imports {target}"
        for name in names
        if within(name, "facegate.web")
        for target, line in imports(name)
        if within(target, "facegate.api.routes", "facegate.api.app")
    ]


def test_the_web_shares_the_apis_service_layer_not_its_routes() -> None:
    assert route_imports(list(MODULES)) == []
    assert any(within(t, "facegate.api.service") for name in MODULES if within(name, "facegate.web")
               for t, _ in imports(name))  # fmt: skip
