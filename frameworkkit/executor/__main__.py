"""``python -m frameworkkit.executor``: the command executor (see :mod:`.command`)."""

from frameworkkit.executor.command import main

raise SystemExit(main())
