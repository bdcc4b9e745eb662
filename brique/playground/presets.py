"""Settings from the course, each with the one line it teaches (the page's *Presets* menu).

Each `query` is a URL setting (see `state.decode`): what it leaves out keeps its default.
"""
PRESETS = [
    {"name": "xor-linear", "title": "XOR, one neuron",
     "query": "dataset=xor&features=x1,x2&layers=",
     "comment": "One neuron draws one straight line and XOR needs two: the loss stays high."},
    {"name": "xor-product", "title": "XOR with x1x2",
     "query": "dataset=xor&features=x1x2&layers=",
     "comment": "Give it the product x1x2 and one neuron is enough: the right feature does "
                "the work."},
    {"name": "xor-hidden", "title": "XOR, one hidden layer",
     "query": "dataset=xor&features=x1,x2&layers=4",
     "comment": "Or let a hidden layer of 4 neurons build the features itself from x1, x2."},
    {"name": "circle-linear", "title": "Circle, one neuron",
     "query": "dataset=circle&features=x1,x2&layers=",
     "comment": "No straight line separates a disc from the ring around it."},
    {"name": "circle-squares", "title": "Circle with x1\u00b2, x2\u00b2",
     "query": "dataset=circle&features=x1sq,x2sq&layers=",
     "comment": "In x1\u00b2 and x2\u00b2 the circle becomes a line: one neuron separates it."},
    {"name": "spiral-shallow", "title": "Spiral, one small layer",
     "query": "dataset=spiral&features=x1,x2&layers=3",
     "comment": "Three neurons cut the plane into a few regions: far too few for two arms "
                "that wind around each other."},
    {"name": "spiral-deep", "title": "Spiral, deep",
     "query": "dataset=spiral&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&layers=8,8,6"
              "&learning-rate=0.03",
     "comment": "The spiral needs depth: layers build on layers until the boundary winds "
                "with the arms (give it a few hundred epochs)."},
]
