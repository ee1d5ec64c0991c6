import sys

from yishi.cli import main

sys.exit(main())
