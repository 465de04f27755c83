"""The atlas: belts on a map of China."""
