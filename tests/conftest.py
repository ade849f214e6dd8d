import sys
from pathlib import Path

import plotly.io as pio
import pytest

# tests/ holds small helper modules (toc, notebook_run) imported by the test files
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def restore_plotly_renderer():
    """Restore plotly's default renderer after a test that changes it: the choice is global to the process."""
    saved = pio.renderers.default
    yield
    pio.renderers.default = saved
