"""bench/compare's parts: processes and /proc readings, the proxies under test, the load runs,
the report. Standard library only, so that the script runs on a bare Debian 12 python3."""
