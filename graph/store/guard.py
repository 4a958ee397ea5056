"""The untrusted-query guard's policy, shared by both backends.

Each backend turns its EXPLAIN plan into operator names and called procedure names, then calls
:func:`check_plan`. The guard refuses by allow-list: an operator or a procedure that is not
known to be read-only is refused, so a new write operator in a future server version is refused
too. After the plan passes, the backend runs the query read-only with a timeout and a row cap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graph.errors import QueryRefused

#: Procedures an analyst may call (exact names, lower case), on either backend.
ALLOWED_PROCEDURES = frozenset({
    # Neo4j
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.indexes",
    "db.schema.visualization", "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
    "db.index.fulltext.querynodes", "db.index.fulltext.queryrelationships",
    "db.index.vector.querynodes", "db.constraints", "db.info",
    "apoc.meta.stats", "apoc.meta.data", "apoc.meta.schema", "apoc.path.expand",
    "apoc.path.expandconfig", "apoc.path.subgraphnodes", "apoc.path.subgraphall",
    "apoc.path.spanningtree", "apoc.neighbors.tohop", "apoc.neighbors.byhop",
    # FalkorDB
    "db.idx.fulltext.querynodes", "db.idx.vector.querynodes", "algo.bfs", "algo.pagerank", "algo.wcc", "algo.betweenness", "db.meta.stats",
})

#: Families refused with their own explanation, even inside a read transaction.
REFUSED_FAMILIES = {
    "apoc.load.": "loads external data",
    "apoc.periodic.": "runs background or batched writes",
    "apoc.export.": "writes files",
    "apoc.import.": "reads files",
    "apoc.cypher.": "runs arbitrary Cypher",
    "apoc.trigger.": "installs triggers",
    "apoc.create.": "creates data",
    "apoc.refactor.": "changes data",
    "apoc.schema.": "changes the schema",
    "apoc.systemdb.": "touches the system database",
    "dbms.": "administers the server",
    "db.create": "changes the schema",
    "db.idx.fulltext.create": "changes the schema",
    "db.idx.fulltext.drop": "changes the schema",
    # FalkorDB walks every simple path depth-first and keeps walking after the query timeout
    # has answered the client (measured on medium: minutes of server CPU; see docs/app.md)
    "algo.sppaths": "ignores the query timeout on FalkorDB; use the saved query shortest_path (bounded)",
    "algo.sspaths": "ignores the query timeout on FalkorDB; use the saved query shortest_path (bounded)",
}

GDS_WRITE = re.compile(r"^gds\..*\.(write|mutate)(\.estimate)?$|^gds\.graph\.(drop|project|export|write)")
GDS_READ = re.compile(r"^gds\..*\.(stream|stats)(\.estimate)?$")


def check_procedure(name: str) -> None:
    low = name.lower()
    for prefix, why in REFUSED_FAMILIES.items():
        if low.startswith(prefix):
            raise QueryRefused(f"procedure {name} is refused: it {why}",
                               hint="the console is read-only; ask an admin to run it")
    if GDS_WRITE.match(low):
        raise QueryRefused(f"procedure {name} is refused: GDS write and mutate modes change the graph",
                           hint="use the .stream or .stats mode")
    if low in ALLOWED_PROCEDURES or GDS_READ.match(low):
        return
    raise QueryRefused(f"procedure {name} is not on the console's allow-list",
                       hint="only read-only procedures may run here")


def check_plan(operators: Iterable[str], procedures: Iterable[str], allowed_ops: frozenset[str],
               *, load_csv_ops: frozenset[str] = frozenset()) -> None:
    """Refuse a plan with an operator outside ``allowed_ops`` or a forbidden procedure."""
    for proc in procedures:
        check_procedure(proc)
    for op in operators:
        if op in load_csv_ops or "loadcsv" in op.lower().replace(" ", ""):
            raise QueryRefused("LOAD CSV is refused: the console does not read files or URLs")
        if op not in allowed_ops:
            raise QueryRefused(
                f"the query plan contains '{op}': refused, it changes data or is not allowed here",
                hint="the console runs read-only queries: MATCH, WHERE, RETURN, WITH, CALL of read procedures",
            )
