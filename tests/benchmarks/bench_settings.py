"""Settings for `make bench-http` only: the site's settings plus the benchmark's own URLs.

Used only when the benchmark starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench_settings``
(and ``--pythonpath tests/benchmarks``); the site's own URLs and middleware never contain
any of this.
"""

from medsite.settings import *  # noqa: F403
from medsite.settings import MIDDLEWARE

ROOT_URLCONF = "bench_urls"
MIDDLEWARE = ["bench_urls.count_queries", *MIDDLEWARE]
