"""No import cycle among chatserver's runtime imports (imports under ``TYPE_CHECKING`` excluded).

The import-linter layers contract (setup.cfg) keeps packages in order; this checks modules
inside a package too, with grimp, the graph library import-linter itself uses."""

from __future__ import annotations

import grimp


def test_no_module_imports_back_into_one_that_imports_it():
    graph = grimp.build_graph("chatserver", exclude_type_checking_imports=True)
    cycles = [
        f"{importer} -> {imported} -> … -> {importer}"
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if imported.startswith("chatserver") and graph.find_shortest_chain(importer=imported, imported=importer)
    ]
    assert cycles == []
