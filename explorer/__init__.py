"""The explorer: a browsable site of the graph for people who do not write SPARQL (see ``site``)."""
