"""A Label Studio JSON export → per-annotator annotation records, with every problem located for the annotator.

The server checks nothing the editor does not (offsets, labels, relations), so every check is made here, on the
way out (`reading`): each region's span must match the task text, labels and choices must be in the inventory,
every claim needs one stance and one claimer kind, with relations to entity mentions exactly when the kind is
``entity``.

For each annotator and document only the latest submitted annotation that converts counts.  One that cannot be
converted leaves no record and every reason is listed, with the task, the annotator, the region as the editor shows
it and a link to the task; it never replaces a converted annotation (a broken copy of a task cannot erase the good
one), and a later converted annotation replaces it.

An export is read task by task (``ijson``) and the latest records are kept in a SQLite table on disk (`store`), so
memory does not grow with the project; the raw export is only read.  `writing` writes the files all together or
not at all; `problems` is the guard of agree, adjudicate and build.
"""
