"""What a shot shows, read from its words: the subjects to draw, taken from the illustration
set bundled in `art/` (Fluent Emoji, with Unicode CLDR names and keywords), and the setting
and light to paint behind them. Pure functions of text: nothing here draws.

Words are matched in their dictionary form. English plurals and -ing/-ed forms are reduced
by a few hand-written suffix rules plus a table of irregular plurals, and a reduction is only
kept when it lands on a word the set or the tables below know ("cherries" -> "cherry", but
"bus" stays "bus"). There is no stemmer and no language model: the tables are the knowledge.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ART = Path(__file__).parent / "art"
CREDIT = "Illustrations: Fluent Emoji by Microsoft (MIT)"

SETTINGS = ("hills", "mountains", "forest", "field", "lake", "sea", "underwater", "desert", "snow",
            "city", "interior", "hive", "sky", "space")
MOODS = ("day", "night", "dawn", "storm", "mist", "golden")
MAX_SUBJECTS = 4
TITLE_WEIGHT = 0.6  # the shot's title counts, but less than what the visual says
MIN_SCORE = 1.7  # a picture needs this much evidence to be drawn
PROP_SCORE = 2.5  # and a third or fourth one this much: props only where the words insist

# How strongly a word points at a picture: it names it (a synonym, the picture's name or the
# head noun of its name), is another word of its name, or is one of its CLDR keywords (scaled
# down by how many pictures share that keyword).
NAMES, PART, KEYWORD = 3.0, 2.0, 2.5

_IRREGULAR = {
    "geese": "goose", "mice": "mouse", "people": "person", "folk": "person", "children": "child",
    "men": "man", "women": "woman", "teeth": "tooth", "feet": "foot", "oxen": "ox",
    "cacti": "cactus", "fungi": "mushroom", "octopi": "octopus", "dice": "die", "knives": "knife",
    "leaves": "leaf", "wolves": "wolf", "loaves": "bread", "shelves": "shelf", "calves": "calf",
    "sheep": "sheep", "fish": "fish", "deer": "deer", "bison": "bison",
}
_PLURAL_ONLY = set("glasses news species series clothes scissors jeans trousers goggles sunglasses "
                   "binoculars headphones fries chess mathematics physics economics politics".split())
# (ending, replacement); tried in order, kept only when the result is a known word
_PLURALS = (("ies", "y"), ("ves", "f"), ("ves", "fe"), ("ches", "ch"), ("shes", "sh"),
            ("sses", "ss"), ("xes", "x"), ("zes", "z"), ("oes", "o"), ("uses", "us"), ("s", ""))
_VERB_FORMS = (("ying", "ie"), ("ing", ""), ("ing", "e"), ("ied", "y"), ("ed", ""), ("ed", "e"))

# Words that never pick a picture on their own (they may still complete a phrase, "red apple").
_STOP = set("""
a an the and or of in on at by to for from with without into onto over under above below near
beside behind between through across along around before after during while as its it is are was
were be been his her their our your my this that these those there here some many much more most
few several all any each every one two three four five hundred thousand million billion first
second third last next other another same own very so too than then also just only still even
animal nature object thing things stuff face symbol sign part kind type way lot place area scene
view shot image picture background foreground closeup close-up wide detail
big small large tiny huge giant little long short tall high low wide narrow deep vast
old new young ancient modern early late hot cold warm cool wet dry bright dark light heavy soft
red orange yellow green blue purple pink brown black white grey gray golden silver colour color
morning day evening time year century week today tomorrow yesterday season
good bad great beautiful busy quiet calm slow fast happy sad full empty open closed
steaming glowing shining burning flowing falling rising floating flying leaping running walking
standing sitting holding looking dancing climbing playing lit board made
lift lifts build builds lay lays carry carries bring brings grow grows cross crosses jump jumps
swim swims hold holds pour pours turn turns fill fills making make use used using called named
show shows showing
see saw seen take took come came go went get got give gave way ways world wide
night nighttime midnight evening dark darkness dawn dusk twilight daybreak sunset sunrise misty
foggy hazy haze gloomy overcast nocturnal starry starlit moonlit sunlit
cap robe cloak staff scarf shawl turban beard hair eye eyes skin
""".split())

_ARTICLES = set("a an the this that these those its his her their our my your".split())
# "a school of fish" is fish: these words say how many, when "of" follows them
_COLLECTIVE = set("""herd flock school swarm pack group crowd pair couple bunch slice piece pile colony
troop pod shoal handful row line set lot kind sort range cluster army fleet""".split())

# Hand-written knowledge: a word (or phrase) of a shot -> the name of a picture in the set.
_SYNONYMS = {
    # animals
    "bee": "honeybee", "hive": "honeybee", "beehive": "honeybee", "swarm": "honeybee",
    "beekeeper": "farmer", "apiarist": "farmer", "kitten": "cat", "kitty": "cat", "puppy": "dog",
    "hound": "dog", "pet": "dog", "sheep": "ram", "lamb": "ram", "flock": "ram", "cattle": "cow",
    "bull": "ox", "calf": "cow", "pony": "horse", "stallion": "horse", "mare": "horse",
    "hen": "chicken", "chick": "baby chick", "poultry": "chicken", "fowl": "chicken",
    "pigeon": "dove", "songbird": "bird", "sparrow": "bird", "robin": "bird", "crow": "bird",
    "seagull": "bird", "gull": "bird", "hawk": "eagle", "falcon": "eagle", "ape": "gorilla",
    "chimpanzee": "monkey", "bunny": "rabbit", "hare": "rabbit", "squirrel": "chipmunk",
    "salmon": "fish", "trout": "fish", "tuna": "fish", "goldfish": "tropical fish",
    "insect": "bug", "caterpillar": "bug", "moth": "butterfly", "ladybug": "beetle",
    "dinosaur": "sauropod", "serpent": "snake", "tortoise": "turtle", "toad": "frog",
    "reindeer": "deer", "elk": "moose", "orca": "whale", "porpoise": "dolphin",
    "bacteria": "microbe", "bacterium": "microbe", "virus": "microbe", "germ": "microbe",
    "cell": "microbe",
    # plants
    "tree": "deciduous tree", "oak": "deciduous tree", "shrub": "deciduous tree",
    "bush": "deciduous tree", "pine": "evergreen tree", "fir": "evergreen tree",
    "conifer": "evergreen tree", "palm": "palm tree", "flower": "blossom", "bloom": "blossom",
    "daisy": "blossom", "plant": "potted plant", "houseplant": "potted plant", "sprout": "seedling",
    "seed": "seedling", "crop": "sheaf of rice", "wheat": "sheaf of rice", "grain": "sheaf of rice",
    "harvest": "sheaf of rice", "maize": "ear of corn", "leaf": "leaf fluttering in wind",
    "fungus": "mushroom", "berry": "strawberry", "plantation": "seedling",
    # food and drink
    "coffee": "hot beverage", "espresso": "hot beverage", "cappuccino": "hot beverage",
    "latte": "hot beverage", "cup": "hot beverage", "mug": "hot beverage", "cocoa": "hot beverage",
    "tea": "teacup without handle", "kettle": "teapot", "wine": "wine glass",
    "beer": "beer mug", "ale": "beer mug", "milk": "glass of milk", "water": "droplet",
    "apple": "red apple", "orange": "tangerine", "citrus": "lemon", "fruit": "red apple",
    "vegetable": "carrot", "cake": "shortcake", "dessert": "shortcake", "sweet": "candy",
    "chocolate": "chocolate bar", "loaf": "bread", "bakery": "bread", "noodle": "steaming bowl",
    "soup": "steaming bowl", "stew": "pot of food", "meal": "fork and knife with plate",
    "dinner": "fork and knife with plate", "lunch": "fork and knife with plate",
    "breakfast": "pancakes", "food": "fork and knife with plate", "rice": "cooked rice",
    "meat": "cut of meat", "steak": "cut of meat", "burger": "hamburger", "fries": "french fries",
    "jam": "jar", "honey": "honey pot", "football": "soccer ball", "soccer": "soccer ball",
    "spice": "hot pepper", "chili": "hot pepper", "pepper": "bell pepper",
    # people
    "person": "person", "human": "person", "man": "person", "woman": "person", "crowd": "person",
    "family": "person", "villager": "person", "citizen": "person", "traveller": "person walking",
    "traveler": "person walking", "hiker": "person walking", "pilgrim": "person walking",
    "runner": "person running", "athlete": "person running", "climber": "person climbing",
    "kid": "child", "toddler": "baby", "grandmother": "older person", "grandfather": "older person",
    "elder": "older person", "herder": "farmer", "shepherd": "farmer", "goatherd": "farmer",
    "peasant": "farmer", "gardener": "farmer", "grower": "farmer", "chef": "cook",
    "baker": "cook", "doctor": "health worker", "nurse": "health worker", "physician": "health worker",
    "engineer": "technologist", "programmer": "technologist", "coder": "technologist",
    "developer": "technologist", "researcher": "scientist", "chemist": "scientist",
    "biologist": "scientist", "inventor": "scientist", "worker": "factory worker",
    "labourer": "factory worker", "laborer": "factory worker", "builder": "construction worker",
    "merchant": "office worker", "trader": "office worker", "businessman": "office worker",
    "businesswoman": "office worker", "banker": "office worker", "clerk": "office worker",
    "monk": "person in lotus position", "nun": "person in lotus position",
    "meditation": "person in lotus position", "yoga": "person in lotus position",
    "soldier": "guard", "knight": "guard", "king": "prince", "queen": "princess", "royal": "crown",
    "wizard": "mage", "witch": "mage", "sailor": "sailboat", "fisherman": "fishing pole",
    "musician": "guitar", "painter": "artist", "pupil": "student", "professor": "teacher",
    "lawyer": "judge", "police": "police officer", "cop": "police officer", "cosmonaut": "astronaut",
    # machines and things
    "machine": "gear", "engine": "gear", "mechanism": "gear", "robot": "robot", "ai": "robot",
    "car": "automobile", "auto": "automobile", "vehicle": "automobile", "truck": "delivery truck",
    "lorry": "articulated lorry", "plane": "airplane", "aeroplane": "airplane", "jet": "airplane",
    "aircraft": "airplane", "boat": "sailboat", "yacht": "sailboat", "vessel": "ship",
    "steamship": "passenger ship", "bike": "bicycle", "cycling": "bicycle", "railway": "locomotive",
    "train": "locomotive", "spaceship": "rocket", "spacecraft": "rocket", "ufo": "flying saucer",
    "computer": "laptop", "pc": "desktop computer", "screen": "desktop computer",
    "phone": "telephone", "smartphone": "telephone", "tv": "television",
    "lamp": "light bulb", "lantern": "red paper lantern", "torch": "flashlight",
    "book": "open book", "library": "books", "letter": "envelope", "mail": "envelope",
    "map": "world map", "clock": "mantelpiece clock", "hourglass": "hourglass not done",
    "watch": "watch", "pen": "fountain pen", "quill": "black nib", "ink": "black nib",
    "paper": "scroll", "document": "scroll", "manuscript": "scroll", "newspaper": "newspaper",
    "chess": "chess pawn", "game": "game die", "toy": "teddy bear", "instrument": "violin",
    "piano": "musical keyboard", "drum": "drum", "sword": "crossed swords", "weapon": "dagger",
    "tool": "hammer and wrench", "hammer": "hammer", "medicine": "pill", "drug": "pill",
    "vaccine": "syringe", "gift": "wrapped gift", "present": "wrapped gift", "coin": "coin",
    "cash": "dollar banknote", "treasure": "gem stone", "jewel": "gem stone", "diamond": "gem stone",
    "bag": "backpack", "suitcase": "luggage", "hat": "top hat", "camera": "camera",
    "film": "movie camera", "movie": "movie camera", "cinema": "film projector",
    "chess board": "chess pawn", "espresso machine": "hot beverage", "coffee machine": "hot beverage",
    "coffee house": "hot beverage", "coffee shop": "hot beverage", "clay pot": "amphora",
    "vase": "amphora", "pot": "teapot", "pottery": "amphora",
    "telescope": "telescope", "microscope": "microscope", "brick": "brick", "stone": "rock",
    "log": "wood", "timber": "wood", "firewood": "wood", "campfire": "fire", "flame": "fire",
    "fireplace": "fire", "tent": "tent",
    # places as things
    "home": "house", "cottage": "house", "farmhouse": "house with garden", "cabin": "hut",
    "barn": "house with garden", "shrine": "shinto shrine", "cathedral": "church",
    "chapel": "church", "temple": "classical building", "museum": "classical building",
    "parliament": "classical building", "palace": "castle", "fortress": "castle", "fort": "castle",
    "skyscraper": "office building", "tower": "Tokyo tower", "mill": "factory",
    "plant factory": "factory", "lighthouse": "Tokyo tower", "stadium": "stadium",
    # sky, space, weather
    "world": "globe showing Europe-Africa", "sun": "sun", "sunshine": "sun", "moon": "crescent moon",
    "star": "glowing star",
    "planet": "ringed planet", "saturn": "ringed planet", "earth": "globe showing Europe-Africa",
    "globe": "globe showing Europe-Africa", "country": "globe with meridians",
    "continent": "world map", "raindrop": "droplet",
    "thunderstorm": "cloud with lightning and rain", "lightning": "high voltage",
    "snowflake": "snowflake", "wind": "leaf fluttering in wind",
    "hurricane": "cyclone", "typhoon": "cyclone", "twister": "tornado", "meteor": "comet",
    "asteroid": "comet", "volcano": "volcano", "island": "desert island",
    # ideas
    "love": "red heart", "romance": "red heart", "heartbreak": "broken heart", "grief": "broken heart",
    "sadness": "broken heart", "loss": "wilted flower", "idea": "light bulb",
    "invention": "light bulb", "innovation": "light bulb", "creativity": "artist palette",
    "art": "artist palette", "painting": "framed picture", "memory": "framed picture",
    "time": "hourglass not done", "history": "scroll", "past": "hourglass done",
    "deadline": "alarm clock", "money": "money bag", "wealth": "money bag", "economy": "chart increasing",
    "trade": "money bag", "profit": "chart increasing", "growth": "chart increasing",
    "progress": "chart increasing", "decline": "chart decreasing", "crisis": "chart decreasing",
    "recession": "chart decreasing", "data": "bar chart", "statistic": "bar chart",
    "science": "microscope", "research": "microscope", "experiment": "test tube",
    "chemistry": "test tube", "biology": "dna", "gene": "dna", "genetics": "dna", "atom": "atom symbol",
    "physics": "atom symbol", "energy": "high voltage", "electricity": "high voltage",
    "power": "electric plug", "battery": "battery", "knowledge": "books", "learning": "books",
    "education": "graduation cap", "study": "books", "school": "school", "peace": "dove",
    "freedom": "dove", "liberty": "Statue of Liberty", "hope": "rainbow", "justice": "balance scale",
    "law": "balance scale", "court": "balance scale", "equality": "balance scale",
    "music": "musical notes", "song": "musical notes", "melody": "musical notes",
    "health": "stethoscope", "victory": "trophy", "success": "trophy", "win": "trophy",
    "achievement": "trophy", "award": "trophy", "prize": "trophy", "news": "newspaper",
    "communication": "megaphone", "announcement": "megaphone", "security": "locked",
    "privacy": "locked", "secret": "old key", "celebration": "party popper",
    "party": "party popper", "festival": "fireworks", "birthday": "birthday cake",
    "dream": "sparkles", "magic": "magic wand", "mystery": "crystal ball", "future": "crystal ball",
    "prediction": "crystal ball", "faith": "prayer beads", "prayer": "prayer beads",
    "religion": "prayer beads", "technology": "laptop", "internet": "globe with meridians",
    "software": "laptop", "digital": "laptop", "climate": "globe showing Europe-Africa",
    "environment": "seedling", "ecology": "seedling", "war": "crossed swords",
    "battle": "crossed swords", "conflict": "crossed swords", "fear": "ghost", "death": "headstone",
    "travel": "luggage", "journey": "luggage", "trip": "luggage", "vacation": "luggage",
    "friendship": "red heart", "teamwork": "puzzle piece", "puzzle": "puzzle piece",
    "problem": "puzzle piece", "question": "magnifying glass tilted left",
    "search": "magnifying glass tilted left", "investigation": "detective",
    "connection": "link", "network": "link", "goal": "bullseye", "target": "bullseye",
    "strategy": "chess pawn", "risk": "game die", "chance": "game die", "luck": "four leaf clover",
    "danger": "bomb", "explosion": "bomb", "sleep": "person in bed", "rest": "person in bed",
    "happiness": "sparkles", "joy": "sparkles", "wisdom": "owl", "speed": "high-speed train",
    "growth plant": "seedling", "life": "seedling", "birth": "baby",
}

# Setting words: where the shot takes place. Phrases are matched before single words.
_SETTING_WORDS = {
    "space": "space outer-space cosmos universe galaxy nebula orbit orbiting interstellar "
             "spacewalk moon-surface",
    "underwater": "underwater undersea seabed seafloor reef coral-reef deep-sea ocean-floor aquarium "
                  "abyss lagoon-floor",
    "sea": "sea ocean beach coast coastline shore seashore seaside harbour harbor port bay island "
           "wave surf sail sailing cliff cliffs voyage gulf strait",
    "lake": "lake river pond stream creek canal riverbank marsh swamp wetland waterfall brook",
    "mountains": "mountain peak summit alp alps ridge volcano glacier himalaya himalayas "
                 "mountainside",
    "hills": "hill hillside highland highlands valley slope terrace terraced countryside vineyard "
             "moor moorland upland downs",
    "forest": "forest wood woods woodland jungle rainforest grove tree trees canopy thicket",
    "field": "field fields farm farmland meadow pasture garden orchard plains prairie "
             "savanna savannah grassland lawn park crop crops ranch apiary countryside",
    "desert": "desert dune dunes sand sahara oasis canyon arid wasteland badlands",
    "snow": "snow snowy arctic antarctic antarctica polar tundra winter frozen blizzard iceberg "
            "ice ice-field snowfield",
    "city": "city town street streets skyline downtown market marketplace square avenue road "
            "alley rooftop metropolis urban suburb village harbourfront london paris venice cairo "
            "istanbul mecca rome tokyo berlin york beijing shanghai delhi mumbai moscow madrid "
            "vienna amsterdam athens baghdad damascus jerusalem constantinople",
    "interior": "room kitchen cafe café coffeehouse coffee-house coffee-shop teahouse tea-house "
                "shop store library office classroom studio lab laboratory workshop monastery "
                "hall inside indoors indoor interior bedroom living-room restaurant "
                "bar pub tavern inn table desk window windowsill counter bakery "
                "attic cellar cave kitchen-table throne-room",
    "hive": "hive beehive honeycomb comb wax",
    "sky": "sky skies air cloud clouds aerial flight heaven heavens airborne overhead",
}
# Words that suggest a setting only weakly: a named place or a thing seen there.
_WEAK_SETTING = set("tree trees cloud clouds air window table desk counter wave sand road square "
                    "island crop crops garden park village wax bar hive beehive inside indoors "
                    "ice".split())
_MOOD_WORDS = {
    "night": "night nighttime midnight moon moonlit moonlight starry starlit nocturnal evening dark "
             "darkness candle-lit candlelit lamplight lamp-lit",
    "storm": "storm stormy thunder thunderstorm lightning rain rainy raining drizzle downpour "
             "overcast gloomy grey gray heavy-clouds hurricane tornado monsoon",
    "dawn": "dawn sunrise sunset dusk twilight daybreak",
    "mist": "mist misty fog foggy haze hazy smoke smoky",
    "golden": "golden gold warm sunny summer autumn harvest amber glow sunlit sunshine candle "
              "lantern firelight honey",
}
_MOOD_PRIORITY = ("night", "storm", "dawn", "mist", "golden")  # ties go to the first
_WEATHER_WORDS = {
    "rain": "rain rainy raining drizzle downpour monsoon shower",
    "snow": "snow snowy snowing snowfall blizzard snowflake",
}

# Words that only describe the scenery the setting paints: never a picture of their own.
_SCENERY = set("window windowsill table desk counter wall floor ground road street sand sky".split())

# Where a picture's subject lives when the words name no setting.
_GROUP_HOME = {
    "animal-amphibian": "lake", "animal-bird": "sky", "animal-bug": "field", "animal-mammal": "field",
    "animal-marine": "underwater", "animal-reptile": "forest", "plant-flower": "field",
    "plant-other": "forest", "place-building": "city", "place-religious": "city",
    "place-geographic": "hills", "place-other": "city", "hotel": "city", "place-map": "space",
    "transport-air": "sky", "transport-ground": "city", "transport-water": "sea",
    "sky & weather": "sky", "heart": "sky", "religion": "sky", "person": "city",
    "person-activity": "city", "person-fantasy": "forest", "sport": "field", "event": "city",
}
_NAME_HOME = {
    "desert": "camel, scorpion, lizard, cactus, snake",
    "snow": "polar bear, penguin, mammoth, snowflake, snowman, cloud with snow, skis, sled, ice skate, "
            "Santa Claus, ice",
    "sea": "seal, whale, dolphin, turtle, crab, palm tree, coconut, desert island, water wave, anchor, "
           "ring buoy, spiral shell",
    "forest": "monkey, orangutan, gorilla, sloth, bear, wolf, deer, moose, fox, raccoon, badger, "
              "hedgehog, owl, skunk, chipmunk, boar, tiger, panda, evergreen tree, deciduous tree, "
              "mushroom, herb, tent, fire, spider, spider web, snail",
    "hills": "goat, ram, llama, ox, water buffalo, bison, castle, Japanese castle, hut, locomotive, "
             "high-speed train, bullet train, prince, princess",
    "field": "rooster, chicken, baby chick, turkey, cow, pig, horse, donkey, tractor, farmer, "
             "sheaf of rice, ear of corn, seedling, lion, giraffe, zebra, elephant, rhinoceros, "
             "leopard, kangaroo, rabbit, house with garden, dog, cat, kite",
    "lake": "duck, swan, flamingo, frog, beaver, otter, crocodile, hippopotamus, canoe, fishing pole",
    "mountains": "volcano, person climbing, eagle",
    "space": "rocket, satellite, flying saucer, ringed planet, comet, star, glowing star, "
             "shooting star, alien, astronaut, telescope",
    "sky": "airplane, small airplane, helicopter, parachute, sun, cloud, rainbow, dove, bird",
    "underwater": "mermaid",
    "hive": "honey pot",
    "city": "firefighter, police officer, construction worker, guard, ninja, superhero",
}
_HOMES = {name: setting for setting, names in _NAME_HOME.items() for name in names.split(", ")}
# Pictures that hover, fly or swim rather than stand on the ground.
_FLYING_GROUPS = {"transport-air", "sky & weather", "heart", "religion", "place-map", "animal-marine",
                  "animal-bird"}
_FLYING_NAMES = set("""honeybee butterfly beetle bug microbe baby-angel fairy ghost alien musical-note
musical-notes dna atom-symbol balloon kite feather wing leaf-fluttering-in-wind fallen-leaf
maple-leaf sparkles fireworks confetti-ball bubbles bat dragon magic-wand crystal-ball light-bulb
high-voltage""".split())
_GROUNDED_NAMES = set("""snowman water-wave fire umbrella closed-umbrella coral spiral-shell oyster
thermometer rooster chicken baby-chick turkey penguin dodo flamingo duck goose peacock
crab lobster rocket""".split())


@dataclass(frozen=True)
class Picture:
    """One illustration of the bundled set."""

    stem: str  # file name without .webp
    name: str  # the CLDR short name, e.g. "hot beverage"
    group: str  # the Unicode emoji subcategory, e.g. "drink"

    @property
    def path(self) -> Path:
        return ART / f"{self.stem}.webp"

    @property
    def flies(self) -> bool:
        """Whether it hovers (birds, insects, planes, symbols) rather than stands."""
        key = self.name.replace(" ", "-")
        if key in _GROUNDED_NAMES:
            return False
        return key in _FLYING_NAMES or self.group in _FLYING_GROUPS


@dataclass(frozen=True)
class Subject:
    """A picture chosen for a shot and the words that chose it."""

    picture: Picture
    word: str  # as written in the shot, e.g. "goats"
    plural: bool  # the words asked for more than one
    score: float


@dataclass(frozen=True)
class Depiction:
    """What to draw for a shot: subjects (the main one first), where, and in what light."""

    subjects: tuple[Subject, ...]
    setting: str  # one of SETTINGS
    mood: str  # one of MOODS
    weather: str  # "", "rain" or "snow"
    note: str = ""  # why something could not be shown as asked, for the render log


@dataclass(frozen=True)
class _Token:
    text: str  # as written, lower case
    noun: str  # dictionary form when read as a noun: "cherries" -> "cherry"
    verb: str  # dictionary form when read as a verb: "sailing" -> "sail" (else the noun form)
    plural: bool
    whole: str  # the hyphenated word it is part of ("candle-lit"), or itself
    index: int
    joined: bool  # only a space before the next token: the two may form a phrase
    weight: float


@dataclass(frozen=True)
class _Hit:
    picture: Picture
    score: float
    first: int  # index of the first token
    last: _Token
    words: str  # as written
    names: bool  # the words name the picture (not just a keyword or a part of its name)
    plural: bool  # more than one: a plural, or after "a herd of"


class _Index:
    """The set's pictures and the words that lead to them, in dictionary form."""

    def __init__(self) -> None:
        entries = json.loads((ART / "index.json").read_text(encoding="utf-8"))
        self.pictures = {stem: Picture(stem, entry["name"], entry["group"])
                         for stem, entry in sorted(entries.items())}
        self.by_name = {p.name: p for p in self.pictures.values()}
        known = set(_IRREGULAR.values())
        for entry in entries.values():
            known.update(_split(" ".join([entry["name"], *entry["keywords"]])))
        for table in (_SETTING_WORDS, _MOOD_WORDS, _WEATHER_WORDS):
            known.update(w for words in table.values() for w in _split(words))
        known.update(w for key in _SYNONYMS for w in key.split())
        self.known = frozenset(known)
        self.phrases: dict[tuple[str, ...], Picture] = {}
        self.synonyms: dict[str, Picture] = {}
        for key, name in _SYNONYMS.items():
            lemmas = tuple(self.noun(w)[0] for w in key.split())
            if len(lemmas) > 1:
                self.phrases[lemmas] = self.by_name[name]
            else:
                self.synonyms[lemmas[0]] = self.by_name[name]
        self.names: dict[str, list[tuple[Picture, float]]] = {}  # name words: head or part
        keywords: dict[str, list[Picture]] = {}
        for picture in self.pictures.values():
            words = [self.noun(w)[0] for w in _split(picture.name)]
            if len(words) > 1:
                self.phrases.setdefault(tuple(words), picture)
            # the head of "sheaf of rice" or "house with garden" is the word before "of"/"with";
            # in "X of Y" Y names it too ("ear of corn" is corn)
            cut = next((i for i, w in enumerate(words) if w in ("of", "with", "and")), len(words))
            heads = {words[cut - 1]} | ({words[-1]} if cut < len(words) and words[cut] == "of" else set())
            for word in dict.fromkeys(words):
                if word not in _STOP:
                    self.names.setdefault(word, []).append((picture, NAMES if word in heads else PART))
            said = {self.noun(w)[0] for w in _split(" ".join(entries[picture.stem]["keywords"]))}
            for word in sorted(said - set(words) - _STOP):
                keywords.setdefault(word, []).append(picture)
        self.keywords = {word: [(picture, KEYWORD / len(found) ** 0.75) for picture in found]
                         for word, found in keywords.items()}
        self.settings = self._table(_SETTING_WORDS)
        self.moods = self._table(_MOOD_WORDS)
        self.weather = self._table(_WEATHER_WORDS)
        # setting and weather words are painted, not drawn as pictures (light words that are
        # things, like "candle" or "moon", are drawn; the others are stop words)
        self.scenery = frozenset(w for table in (self.settings, self.weather)
                                 for w in table if "-" not in w) | _SCENERY

    def _table(self, table: dict[str, str]) -> dict[str, str]:
        """{word or hyphenated phrase in dictionary form: the entry it names}."""
        found: dict[str, str] = {}
        for name, words in table.items():
            for word in words.split():
                found.setdefault("-".join(self.noun(w)[0] for w in word.split("-")), name)
        return found

    def noun(self, word: str) -> tuple[str, bool]:
        """(dictionary form as a noun, whether the word was a plural)."""
        if word in _IRREGULAR:
            return _IRREGULAR[word], word != _IRREGULAR[word]
        if word not in _PLURAL_ONLY and not word.endswith(("ss", "us", "is")):
            for ending, replacement in _PLURALS:
                candidate = word[:-len(ending)] + replacement
                if word.endswith(ending) and len(candidate) >= 2 and candidate in self.known:
                    return candidate, True
        return word, False

    def verb(self, word: str) -> str:
        """The dictionary form of an -ing or -ed word ("sailing" -> "sail"), else the word."""
        for ending, replacement in _VERB_FORMS:
            stem = word[:-len(ending)]
            if not word.endswith(ending) or len(stem) < 3:
                continue
            for candidate in (stem + replacement, stem[:-1] if stem[-1] == stem[-2] else ""):
                if candidate in self.known:  # "running" -> "run", "shipped" -> "ship"
                    return candidate
        return word

    def best(self, token: _Token, scenery: bool,
             after_article: bool) -> tuple[Picture, float, bool] | None:
        """(picture, score, whether the word names it) for one token, or None. A word of the
        scenery or a stop word only counts through the synonym table; an -ing or -ed form only
        through it, or through a picture's name when an article makes it a noun ("the
        building", not "bees building"). The hand-written synonyms win ties."""
        synonym = self.synonyms.get(token.noun)
        if synonym:
            return synonym, NAMES, True
        if scenery or token.noun in self.scenery or token.noun in _STOP or len(token.noun) < 2:
            return None
        verb_form = token.verb != token.noun
        if verb_form and not after_article:
            return None
        found = list(self.names.get(token.noun, []))
        if not verb_form:  # keywords are too loose for a word that may be a verb
            found += self.keywords.get(token.noun, [])
        if not found:
            return None
        picture, score = min(found, key=lambda hit: (-hit[1], len(hit[0].name), hit[0].stem))
        return picture, score, score == NAMES


def _split(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _Index()


def pictures() -> dict[str, Picture]:
    """Every picture of the bundled set, by file stem."""
    return dict(_index().pictures)


def _tokens(text: str, weight: float, start: int = 0) -> list[_Token]:
    index = _index()
    tokens: list[_Token] = []
    matches = list(re.finditer(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text.lower()))
    for m, match in enumerate(matches):
        whole = re.sub(r"['’]s$", "", match.group())
        parts = [p for p in re.split(r"['’-]", whole) if p]
        after = matches[m + 1].start() if m + 1 < len(matches) else None
        joined_after = after is not None and text[match.end():after].strip() == ""
        for p, part in enumerate(parts):
            noun, plural = index.noun(part)
            verb = index.verb(part) if not plural else noun
            tokens.append(_Token(part, noun, verb, plural, "-".join(parts), start + len(tokens),
                                 joined_after or p < len(parts) - 1, weight))
    return tokens


def _lookup(tokens: list[_Token], table: dict[str, str], used: set[int] | None = None,
            named: frozenset[int] = frozenset()) -> dict[str, tuple[float, int]]:
    """Table entries named by the tokens: {entry: (score, first position)}; the positions of
    tokens that matched as part of a phrase are added to `used`. Tokens in `named` (part of a
    picture's name, like "ice" in "ice cream") only count within a phrase of the table."""
    found: dict[str, tuple[float, int]] = {}
    skip_until = -1
    for i, token in enumerate(tokens):
        if token.index <= skip_until:
            continue
        keys: list[tuple[str, int]] = []  # key, tokens it spans
        parts = token.whole.split("-")
        if len(parts) > 1 and token.text == parts[0]:
            keys.append(("-".join(t.noun for t in tokens[i:i + len(parts)]), len(parts)))
        if i + 1 < len(tokens) and token.joined:
            keys.append((f"{token.noun}-{tokens[i + 1].noun}", 2))
        if token.index not in named:
            keys += [(token.noun, 1), (token.verb, 1)]
        for key, span in keys:
            entry = table.get(key)
            if entry is None:
                continue
            strength = 2.0 if span > 1 else 0.5 if key in _WEAK_SETTING else 1.0
            score, first = found.get(entry, (0.0, token.index))
            found[entry] = (score + strength * token.weight, min(first, token.index))
            if span > 1:
                skip_until = token.index + span - 1
                if used is not None:
                    used.update(range(token.index, token.index + span))
            break
    return found


def _hits(tokens: list[_Token], scenery: set[int]) -> list[_Hit]:
    """Each token's best picture, phrases ("hot beverage", "clay pot") first."""
    index = _index()
    hits: list[_Hit] = []
    i, many = 0, False
    while i < len(tokens):
        token, size, hit = tokens[i], 1, None
        for size in (3, 2):
            group = tokens[i:i + size]
            if len(group) == size and all(t.joined for t in group[:-1]):
                picture = index.phrases.get(tuple(t.noun for t in group))
                if picture:
                    words = " ".join(t.text for t in group)
                    hit = _Hit(picture, NAMES, token.index, group[-1], words, True,
                               many or group[-1].plural)
                    break
        else:
            size = 1
            if token.text in _COLLECTIVE and i + 1 < len(tokens) and tokens[i + 1].text == "of":
                i, many = i + 2, True
                continue
            after_article = i > 0 and tokens[i - 1].text in _ARTICLES
            best = index.best(token, token.index in scenery, after_article)
            if best:
                hit = _Hit(best[0], best[1], token.index, token, token.text, best[2], many or token.plural)
        if hit is not None:
            hits.append(hit)
            many = False
        i += size
    return hits


def _subjects(hits: list[_Hit]) -> list[Subject]:
    """Pictures ranked by the evidence for them, then by first mention. A word right before
    another word that names a picture only qualifies it ("coffee shrubs", "goat herder")."""
    scored: dict[str, list] = {}
    for n, hit in enumerate(hits):
        score = hit.score
        following = hits[n + 1] if n + 1 < len(hits) else None
        if (following and hit.last.joined and following.names and following.picture != hit.picture
                and following.first == hit.last.index + 1):
            score *= 0.5
        entry = scored.setdefault(hit.picture.stem, [hit.picture, 0.0, hit.first, hit.words, False])
        entry[1] += score * hit.last.weight
        entry[4] = entry[4] or hit.plural
    ranked = sorted(scored.values(), key=lambda e: (-e[1], e[2]))
    chosen = [Subject(picture, words, plural, round(score, 3))
              for picture, score, _, words, plural in ranked if score >= MIN_SCORE]
    return (chosen[:2] + [s for s in chosen[2:] if s.score >= PROP_SCORE])[:MAX_SUBJECTS]


def home_setting(picture: Picture) -> str:
    """The setting a picture's subject is usually seen in (a goat on hills, a cup indoors)."""
    return _HOMES.get(picture.name) or _GROUP_HOME.get(picture.group, "interior")


def depict(visual: str, title: str = "", style: str = "") -> Depiction:
    """Read a shot's words into subjects, setting, mood and weather.

    Args:
        visual: what the shot shows (the storyboard's `visual`, or its narration).
        title: the shot's on-screen title; its words count at TITLE_WEIGHT.
        style: the storyboard's style; only its light words are used, when the shot has none.
    """
    seen = _tokens(visual, 1.0)
    tokens = seen + _tokens(title, TITLE_WEIGHT, start=len(seen) + 1)
    index = _index()
    named = frozenset(i for hit in _hits(tokens, set()) if hit.first < hit.last.index
                      for i in range(hit.first, hit.last.index + 1))
    scenery: set[int] = set()
    # the setting comes from what the shot shows; the title only when that names none
    places = _lookup(seen, index.settings, scenery, named) or _lookup(tokens, index.settings, scenery, named)
    subjects = _subjects(_hits(tokens, scenery))
    if places:
        setting = min(places, key=lambda s: (-places[s][0], places[s][1]))
    elif subjects:
        setting = home_setting(subjects[0].picture)
    else:
        setting = "sky"
    moods = _lookup(tokens, index.moods) or _lookup(_tokens(style, 1.0), index.moods)
    mood = min(moods, key=lambda m: (-moods[m][0], _MOOD_PRIORITY.index(m))) if moods else "day"
    mood = {"space": "night", "underwater": "day", "hive": "golden"}.get(setting, mood)
    weather = _lookup(tokens, index.weather)
    falling = min(weather, key=lambda w: weather[w][1]) if weather else ""
    if setting in ("interior", "space", "underwater", "hive"):
        falling = ""
    elif setting == "snow" and not falling:
        falling = "snow"
    note = ""
    if not subjects:
        said = " ".join(visual.split())[:80] or "(no words)"
        note = (f"no picture of the illustration set matches {said!r}: the shot shows its "
                f"{setting} setting only")
    return Depiction(tuple(subjects), setting, mood, falling, note)
