"""Developer tools that ship with the repository, not with the package: the fake WeChat
server used by the tests, the benchmarks and ``make demo``. ``pyproject.toml`` packages
``borderpass`` alone, so an installed BorderPass holds none of this; run from a checkout
(``make demo`` and ``make bench`` put the repository on ``PYTHONPATH``; pytest does too)."""
