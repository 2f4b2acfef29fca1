"""trialkit: reproduce the prespecified analyses of randomized trials in septic shock."""

from trialkit.spec import Spec, load_spec

__all__ = ["Spec", "load_spec"]
__version__ = "0.1.0"
