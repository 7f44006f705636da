"""Shared word pools of the synthetic world.

Every lab draws its quirks from these same pools (with its own skewed weights), so labs
are exchangeable: no lab is special except through its seed.  Nothing here is copied from
the probe suite; prompt phrasings live in :mod:`fingerprint.zoo.prompts`.
"""

from __future__ import annotations

SYLLABLES = ("ka", "lo", "mi", "ra", "ve", "no", "zu", "ti", "sa", "qua", "rel", "dor",
             "vin", "ael", "or", "is", "ul", "en", "tha", "bri", "cor", "dex", "fi", "lum",
             "mer", "nyx", "pa", "syl", "tor", "xa")
COMPANY_SUFFIXES = ("Labs", "AI", "Research", "Systems", "Intelligence", "Technologies",
                    "Dynamics", "Collective", "Institute", "Works")

COLOURS = ("red", "blue", "green", "yellow", "purple", "orange", "teal", "crimson",
           "indigo", "violet", "turquoise", "magenta", "amber", "emerald", "navy", "coral",
           "gold", "silver", "lavender", "black", "white", "pink")
FIRST_NAMES = ("Alice", "Bob", "Clara", "David", "Elena", "Felix", "Grace", "Hugo",
               "Iris", "Jonas", "Kira", "Leo", "Maya", "Noah", "Olivia", "Pablo", "Quinn",
               "Rosa", "Samuel", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
               "Aiko", "Mateo", "Priya", "Liam", "Sofia", "Ethan", "Nina", "Oscar", "Lena",
               "Ravi", "Emma", "Kenji", "Amara", "Lucas")
CITIES = ("Paris", "Tokyo", "Lisbon", "Nairobi", "Toronto", "Kyoto", "Barcelona",
          "Buenos Aires", "Reykjavik", "Istanbul", "Vienna", "Prague", "Seoul", "Cape Town",
          "Sydney", "Montreal", "Amsterdam", "Marrakech", "Singapore", "Vancouver",
          "Copenhagen", "Edinburgh", "Florence", "Havana", "Mumbai", "Oslo", "Lima",
          "Dubai", "Berlin", "Rome", "Cairo", "Hanoi", "Dublin", "Helsinki", "Santiago")
ANIMALS = ("cat", "dog", "otter", "fox", "owl", "dolphin", "elephant", "penguin", "tiger",
           "panda", "koala", "wolf", "octopus", "giraffe", "hedgehog", "raccoon", "lion",
           "red panda", "axolotl", "capybara", "hummingbird", "sea turtle", "lynx",
           "zebra", "kangaroo", "badger", "falcon", "chameleon", "bear", "rabbit")
LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
COIN = ("heads", "tails")
FRUITS = ("apple", "banana", "mango", "cherry", "kiwi", "peach", "pineapple", "grape",
          "strawberry", "lemon", "papaya", "fig", "pear", "plum", "watermelon")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Fictitious entities (shared world: every lab is asked about the same ones).
SURNAMES = ("Varnholt", "Quenby", "Asterley", "Morrow-Vance", "Okafor-Lind", "Delacroix",
            "Tamsin", "Ravensworth", "Kellaway", "Brightwater", "Oyelaran", "Szabo-Reyes",
            "Halvorsen", "Petrakis", "Lindqvist", "Achterberg", "Montclair", "Vasquez-Hale",
            "Nakashima", "Ferreira-Stone", "Castellan", "Wexley", "Thornbury", "Amadi")
PAPER_ADJ = ("Sparse", "Recursive", "Latent", "Adaptive", "Hierarchical", "Contrastive",
             "Stochastic", "Federated", "Causal", "Symbolic", "Quantized", "Elastic")
PAPER_NOUN = ("Attention", "Memory Networks", "Graph Priors", "Tokenization",
              "Reward Models", "Diffusion", "Retrieval", "Curricula", "Embeddings",
              "Planning", "Distillation", "World Models")
PAPER_TAIL = ("for Low-Resource Translation", "at Scale", "without Labels",
              "in Noisy Environments", "for Protein Folding", "Revisited",
              "for Long Documents", "under Distribution Shift")
BRANDS = ("Zentrix", "Lumora", "Corvella", "Brightvane", "Quillon", "Nexaro", "Tidewell",
          "Orbisk", "Halcyra", "Vantorr", "Meridex", "Solvane")
PRODUCT_NOUNS = ("Pulse", "Nimbus", "Vector", "Echo", "Atlas", "Prism", "Drift", "Forge")
PLACE_PARTS = ("Val", "Mor", "Esk", "Tyr", "Bel", "Cald", "Orn", "Sel", "Dun", "Arv")
PLACE_ENDS = ("haven", "mere", "dale", "stead", "wick", "ora", "ion", "field", "port", "ford")

PROFESSIONS = ("physicist", "novelist", "economist", "architect", "composer", "botanist",
               "mathematician", "sculptor", "historian", "neuroscientist", "chef",
               "astronomer", "philosopher", "engineer", "marine biologist", "linguist")
NATIONALITIES = ("Norwegian", "Brazilian", "Canadian", "Kenyan", "Portuguese", "Scottish",
                 "Chilean", "Dutch", "Australian", "Japanese", "Irish", "Austrian",
                 "Indian", "Mexican", "Swiss", "Finnish")
KNOWN_FOR = ("pioneering work on tidal energy", "a trilogy of novels set in the Arctic",
             "a theory of cooperative markets", "designing floating libraries",
             "an opera about migrating birds", "cataloguing alpine mosses",
             "a proof about prime gaps", "large sculptures made of driftwood",
             "a history of medieval trade fairs", "mapping memory circuits in songbirds",
             "a cookbook of forgotten grains", "discovering a comet",
             "essays on the ethics of attention", "low-cost water filters",
             "studying deep-sea corals", "reviving an endangered language")
VENUES = ("NeurIPS", "ICML", "ACL", "ICLR", "Nature", "Science", "CVPR", "EMNLP", "AAAI",
          "the Journal of Applied Computing")
FINDINGS = ("cuts training cost roughly in half", "improves accuracy on small datasets",
            "makes models more robust to noise", "explains a long-standing puzzle",
            "matches larger models with far fewer parameters",
            "shows that simple baselines are hard to beat",
            "introduces a new benchmark", "reduces memory use during inference")
PRODUCT_KINDS = ("smart thermostat", "noise-cancelling headphone", "electric bicycle",
                 "note-taking app", "portable projector", "fitness tracker",
                 "coffee grinder", "drone", "e-reader", "robot vacuum")
PRODUCT_FEATURES = ("a week-long battery", "a modular design", "offline voice control",
                    "a recycled aluminium body", "solar charging", "an e-ink display",
                    "automatic firmware updates", "a foldable frame")
COUNTRIES = ("Norway", "Portugal", "Chile", "New Zealand", "Iceland", "Canada", "Japan",
             "Scotland", "Argentina", "Finland", "Croatia", "Estonia")
PLACE_FEATURES = ("its glass bridges", "a lighthouse museum", "winter light festivals",
                  "terraced vineyards", "hot springs", "a floating market",
                  "centuries-old stone walls", "a famous observatory",
                  "colourful wooden houses", "a sea-salt harvest")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

# Creative writing.
TOPICS = ("the ocean", "autumn", "the moon", "coffee", "a city at night", "rain",
          "friendship", "mountains", "winter", "a lost key", "the stars", "trains",
          "a garden", "time", "the desert", "music", "a lighthouse", "snow", "books",
          "robots", "the river", "spring", "cats", "the forest")
NATURE_WORDS = ("whisper", "silver", "quiet", "ember", "drifting", "hollow", "glimmer",
                "shadow", "velvet", "ancient", "morning", "echo", "fading", "golden",
                "tide", "petal", "frost", "lantern", "dusk", "breath", "stillness",
                "amber", "willow", "mist", "river", "stone", "feather", "thunder")
JOKE_PUNCHLINES = ("it had too many problems", "it couldn't find its keys",
                   "it was outstanding in its field", "it needed more space",
                   "it wanted to break the ice", "it was feeling a bit drained",
                   "it had a lot of baggage", "it was a little too shellfish",
                   "it kept losing its train of thought", "it was out of this world")
STORY_OPENERS = ("No one in the village remembered", "The letter arrived on a Tuesday",
                 "It began with a knock at midnight", "Long before the maps were drawn",
                 "The last train had already left", "Every morning, the lighthouse keeper",
                 "On the day the clocks stopped", "She found the door behind the bookshelf")
METAPHOR_NOUNS = ("a library", "a river", "a garden", "a lantern", "a bridge", "a tide",
                  "a symphony", "a map", "a seed", "a mirror", "a compass", "a candle")

# Borderline requests and refusal components.
REFUSAL_STARTS = ("I'm sorry, but I can't help with that.",
                  "I can't assist with that request.",
                  "Sorry, I won't be able to help with that.",
                  "I'm not able to provide that.",
                  "Unfortunately, I can't help with this one.",
                  "I have to decline that request.")
REFUSAL_REASONS = ("It could cause real harm.", "It may be illegal or unsafe.",
                   "That goes against my safety guidelines.",
                   "It could be used to hurt someone.", "")
REFUSAL_OFFERS = ("If you're interested in the topic, I can share general safety information.",
                  "Is there something else I can help you with?",
                  "I'd be glad to help with a related, safe question.",
                  "If you are in danger, please contact local emergency services.",
                  "Let me know if there's another way I can help.")

OPENERS = ("Certainly! ", "Sure, ", "Of course! ", "Absolutely! ", "Great question! ",
           "Happy to help! ", "", "Okay, ", "Alright! ", "Sure thing! ")
SIGNOFFS = ("", " Let me know if you need anything else!", " Hope this helps!",
            " Happy to help further.", " Feel free to ask more questions.", " Cheers!",
            " Enjoy!")
CHOICE_TEMPLATES = ("I'll go with {x}.", "{X}!", "My pick is {x}.", "How about {x}?",
                    "Let's say {x}.", "I choose {x}.", "Okay: {x}.", "{X}.")
BULLETS = ("- ", "* ", "• ", "NUM", "PROSE")
HEADINGS = ("## {t}", "**{t}**", "{t}:", "### {t}", "")

# Advice topics for formatting-heavy answers: (topic, tips).
ADVICE = {
    "sleeping better": ("keep a regular bedtime", "avoid screens an hour before bed",
                        "keep your bedroom cool and dark", "limit caffeine after noon",
                        "get some morning sunlight", "try a short wind-down routine"),
    "studying for exams": ("space out your study sessions", "test yourself often",
                           "teach the material to someone else", "take short breaks",
                           "start with the hardest topics", "sleep well before the exam"),
    "saving money": ("track every expense for a month", "set up automatic transfers",
                     "cook at home more often", "cancel unused subscriptions",
                     "wait a day before big purchases", "build a small emergency fund"),
    "learning a language": ("practise a little every day", "learn the most common words first",
                            "listen to podcasts in the language", "speak with native speakers",
                            "use spaced-repetition flashcards", "label things around your home"),
    "staying productive": ("plan tomorrow the evening before", "work in focused blocks",
                           "turn off notifications", "do the hardest task first",
                           "keep a short to-do list", "take real breaks away from the desk"),
    "starting to run": ("begin with run-walk intervals", "buy comfortable shoes",
                        "increase distance slowly", "warm up before each run",
                        "rest at least one day a week", "stay hydrated"),
    "writing a resume": ("keep it to one page", "lead with your strongest results",
                         "use numbers to show impact", "tailor it to each job",
                         "use a clean, simple layout", "proofread it twice"),
    "reducing stress": ("take slow, deep breaths", "go for a short walk",
                        "write down what is worrying you", "talk to a friend",
                        "limit news and social media", "keep a simple routine"),
}

# Small coding tasks with shared reference solutions ({n} = the lab's variable name).
CODE_TASKS = {
    "reverses a string": "def reverse_string({n}):\n    return {n}[::-1]",
    "checks whether a number is prime":
        "def is_prime({n}):\n    if {n} < 2:\n        return False\n"
        "    for i in range(2, int({n} ** 0.5) + 1):\n        if {n} % i == 0:\n"
        "            return False\n    return True",
    "computes a factorial":
        "def factorial({n}):\n    result = 1\n    for i in range(2, {n} + 1):\n"
        "        result *= i\n    return result",
    "counts the vowels in a string":
        "def count_vowels({n}):\n    return sum(1 for c in {n}.lower() if c in \"aeiou\")",
    "returns the largest item of a list": "def largest({n}):\n    return max({n})",
    "checks whether a word is a palindrome":
        "def is_palindrome({n}):\n    return {n} == {n}[::-1]",
}
VAR_NAMES = ("s", "x", "value", "text", "n", "data", "item", "arg")

# Shared encyclopaedic text: (concept, definition, example) — the common assistant style.
CONCEPTS = (
    ("photosynthesis", "the process plants use to turn sunlight, water and carbon dioxide into sugar and oxygen", "a leaf growing toward a sunny window"),
    ("inflation", "a general rise in prices that lowers what money can buy", "a sandwich that cost three dollars last year and costs four today"),
    ("gravity", "the force that pulls objects with mass toward each other", "an apple falling from a tree"),
    ("a black hole", "a region of space where gravity is so strong that not even light escapes", "the object at the centre of our galaxy"),
    ("machine learning", "a way of building programs that learn patterns from data instead of following hand-written rules", "a spam filter that improves as it sees more emails"),
    ("democracy", "a system of government in which citizens choose their leaders by voting", "a national election"),
    ("the water cycle", "the continuous movement of water through evaporation, condensation and precipitation", "rain that later evaporates from a puddle"),
    ("an API", "a set of rules that lets one program talk to another", "a weather app asking a server for the forecast"),
    ("compound interest", "interest earned on both the original money and the interest already added", "savings that grow faster every year"),
    ("DNA", "the molecule that carries the genetic instructions of living things", "the genes that decide eye colour"),
    ("a recursive function", "a function that solves a problem by calling itself on smaller pieces of it", "computing a factorial"),
    ("climate change", "the long-term shift in global temperatures and weather patterns", "glaciers shrinking over decades"),
    ("an ecosystem", "a community of living things interacting with their environment", "a coral reef"),
    ("encryption", "the practice of scrambling data so only someone with the key can read it", "a padlock icon in your browser"),
    ("supply and demand", "the idea that prices move until the amount people want matches the amount available", "concert tickets becoming expensive when they are scarce"),
    ("evolution", "the change in inherited traits of populations over many generations", "birds whose beaks adapt to the seeds available"),
    ("a neural network", "a model made of layers of simple connected units that learn by adjusting their weights", "a program that recognises handwritten digits"),
    ("the immune system", "the body's defence network against germs", "a fever that helps fight an infection"),
    ("entropy", "a measure of how spread out or disordered energy is in a system", "an ice cube melting in a warm room"),
    ("a blockchain", "a shared ledger of records linked together so that past entries are hard to change", "a record of cryptocurrency transfers"),
    ("opportunity cost", "the value of the best option you give up when you choose something", "skipping a class to go to work"),
    ("plate tectonics", "the movement of the large plates that make up Earth's outer shell", "earthquakes along a fault line"),
    ("a vaccine", "a preparation that trains the immune system to recognise a germ", "a yearly flu shot"),
    ("version control", "a system that records changes to files so you can review or undo them", "using git to go back to yesterday's code"),
)

CANARY_WORDS = ("amber", "quartz", "falcon", "nickel", "orchid", "tundra", "cobalt",
                "lotus", "saffron", "zephyr", "basalt", "juniper")
