# One line per fuzz target; the source sits in this folder, its seeds in corpus/NAME/.
