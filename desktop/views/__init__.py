"""Qt widgets, dialogs and item models over the domain objects. Never runs SQL."""
