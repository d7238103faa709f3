"""Plans as a model might answer them."""

SENTENCE = ("Coffee began in the misty highlands of Ethiopia, where a curious goat herder "
            "noticed something strange about his flock one morning.")


def plan(shots: int = 10, words_each: int = 1, language: str = "en") -> dict:
    narration = " ".join([SENTENCE] * words_each)
    return {"title": "How Coffee Spread", "language": language, "aspect": "9:16",
            "style": "warm documentary, golden light",
            "shots": [{"id": f"shot-{i}", "title": f"Part {i}", "narration": narration,
                       "visual": f"scene {i}, coffee cherries, morning light",
                       "camera": "push-in", "transition": "crossfade"}
                      for i in range(1, shots + 1)]}
