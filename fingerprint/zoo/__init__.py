"""Model organisms with known provenance: small retrieval-conditioned n-gram LMs trained by
the project itself (a teacher, its students at several teacher-text fractions, a second
teacher and its student, independent models, and a same-model wrapper).  See docs/zoo.md."""

from .build import ORGANISMS, RECIPES, build_panel, load_organism, organism_meta, training_dialogues
from .cache import BUILD_VERSION, zoo_dir
from .organism import Generation, Organism

__all__ = ["ORGANISMS", "RECIPES", "BUILD_VERSION", "Generation", "Organism", "build_panel",
           "load_organism", "organism_meta", "training_dialogues", "zoo_dir"]
