"""``python -m healthcover.report``: build the report (see ``healthcover.report``)."""
import sys

from healthcover.report.cli import main

sys.exit(main())
