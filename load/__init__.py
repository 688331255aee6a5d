"""registry-harness load: Locust scenarios, benchmarks and thresholds for registry throughput.

Importing this package must not import locust (it monkey-patches gevent); only `load.locustfile`
and the modules it pulls in do.
"""
