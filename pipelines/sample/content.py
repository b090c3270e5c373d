"""The words of the bundled sample: personas, conversation topics, attributes, prompts.

Everything here is written for this project (nothing is copied from the study's data). Templates
are `str.format` strings whose slots the generator fills; a slot holding personal data or a decoy
is recorded in the ground-truth manifest with its offsets. Literal braces in code are doubled.
"""

from __future__ import annotations

FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Daniel",
    "Priya",
    "Lucas",
    "Emily",
    "Mateo",
    "Hannah",
    "Omar",
    "Sofia",
    "Ethan",
    "Chloe",
    "Kenji",
    "Grace",
    "Diego",
    "Olivia",
    "Ravi",
    "Zoe",
    "Marcus",
    "Leila",
    "Noah",
    "Ingrid",
    "Samuel",
    "Fatima",
    "Owen",
    "Yuki",
    "Isabel",
    "Tariq",
    "Nina",
]
LAST_NAMES = [
    "Lopez",
    "Whitaker",
    "Okafor",
    "Brennan",
    "Raman",
    "Ferreira",
    "Kowalski",
    "Herrera",
    "Lindqvist",
    "Haddad",
    "Marchetti",
    "Sullivan",
    "Dubois",
    "Tanaka",
    "Osei",
    "Navarro",
    "Fischer",
    "Iyer",
    "Carter",
    "Delgado",
    "Novak",
    "Bergstrom",
    "Mensah",
    "Abbott",
]
CROWD_FIRST_NAMES = [
    "Alex",
    "Jordan",
    "Sam",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Drew",
    "Robin",
    "Kendall",
    "Skyler",
    "Reese",
    "Parker",
]
EMAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com"]
STREETS = [
    "Maple Avenue",
    "Oak Street",
    "Cedar Lane",
    "Elm Drive",
    "Lakeview Road",
    "Pine Court",
    "Willow Way",
    "Sunset Boulevard",
    "Highland Avenue",
    "Mill Road",
]
# (country, state or region, city, postcode style) of real users; the address uses all of it.
PLACES = [
    ("United States", "California", "San Jose", "CA 95112"),
    ("United States", "Texas", "Austin", "TX 78704"),
    ("United States", "New York", "Brooklyn", "NY 11215"),
    ("United States", "Illinois", "Springfield", "IL 62704"),
    ("United States", "Washington", "Tacoma", "WA 98402"),
    ("United States", "Florida", "Orlando", "FL 32801"),
    ("United States", "Ohio", "Columbus", "OH 43215"),
    ("United Kingdom", "England", "Leeds", "LS6 2AB"),
    ("Germany", "Berlin", "Berlin", "10115"),
    ("India", "Karnataka", "Bengaluru", "560034"),
    ("Canada", "Ontario", "Toronto", "ON M5V 2T6"),
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/112.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/113.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/16.5 Mobile/15E148 Safari/604.1",
]
SCRIPTED_USER_AGENT = "python-requests/2.31"
EMPLOYERS = [
    "Northwind Logistics",
    "Brightpath Health",
    "Acme Analytics",
    "Bluefin Retail",
    "Cobalt Robotics",
    "Greenleaf Bank",
]
DESTINATIONS = ["Lisbon", "Kyoto", "Mexico City", "Reykjavik", "Marrakesh", "Vancouver", "Rome"]
DISHES = [
    "chickpea curry",
    "mushroom risotto",
    "shakshuka",
    "beef bulgogi",
    "lentil soup",
    "banana bread",
    "pad thai",
]
ROLES = [
    "data analyst",
    "junior backend developer",
    "product manager",
    "nurse practitioner",
    "UX designer",
    "high school chemistry teacher",
]
COMPANIES = ["Stripe", "Mayo Clinic", "Spotify", "Deloitte", "Shopify", "the City of Austin"]
CONDITIONS = [
    "lower back pain",
    "seasonal allergies",
    "trouble sleeping",
    "mild asthma",
    "tension headaches",
]
PLANTS = ["tomatoes", "basil", "a fiddle-leaf fig", "peppers", "succulents"]
SPORTS = ["a half marathon", "a 10k", "my first triathlon", "a charity bike ride"]
GENRES = ["fantasy", "mystery", "science fiction", "historical fiction"]
DURATIONS = ["3 days", "two weeks", "10 days", "a weekend", "45 minutes", "6 months"]
YEARS = ["2019", "2021", "2022", "1998", "2015"]
VERSIONS = ["3.10.2", "3.11.4", "2.0.1", "1.5.3"]
FAMOUS = ["Albert Einstein", "Marie Curie", "Barack Obama", "Taylor Swift", "Serena Williams"]

# A topic: `open` exchanges start a conversation, `more` ones continue it; each exchange is a
# (user, assistant) pair of templates. `attributes` are verb phrases about the user ("is ...")
# with the judgment they deserve: "good" or the failure category an annotator would pick.
TOPICS: dict[str, dict] = {
    "coding": {
        "open": [
            (
                "My script crashes when I load the data. I run it with `python {train_py}` on "
                "Python {version}:\n```python\nimport pandas as pd\ndf = {read_csv}\n"
                "df['label'] = df['label'].map(lambda x: x.strip())\n```\n"
                "The error is AttributeError: 'float' object has no attribute 'strip'.",
                "The column has missing values, which pandas reads as NaN (a float). Fill them "
                "first: `df['label'] = df['label'].fillna('').str.strip()`. The `.str` accessor "
                "skips NaN safely, so `python {train_py}` should get past that line.",
            ),
            (
                "How do I deploy a Flask app on my VPS? The server is at {ip} and I can ssh in "
                "as root. Locally it runs on {private_ip}:5000.",
                "Run it behind gunicorn and nginx: `pip install gunicorn`, then "
                "`gunicorn -w 2 -b 127.0.0.1:8000 app:app`, and point an nginx server block at "
                "port 8000. Open port 80 on the firewall and set up a systemd unit so it restarts.",
            ),
            (
                "Can you review my repo {github_url}? It's a churn model, the entry point is "
                "{train_py} and it needs Python {version}.",
                "I can't open links, but paste the main files and I'll review them. Common "
                "issues in churn models: leakage from post-churn features, class imbalance, and "
                "evaluating on a random split instead of a time-based one.",
            ),
            (
                "Write a SQL query that returns the top 5 customers by total order value in "
                "{year}.",
                "```sql\nselect customer_id, sum(amount) as total\nfrom orders\nwhere "
                "extract(year from ordered_at) = {year}\ngroup by customer_id\norder by total "
                "desc\nlimit 5;\n```",
            ),
        ],
        "more": [
            (
                "It still fails. Here is my config, maybe the key is wrong:\n```\n"
                "OPENAI_API_KEY={api_key}\nDATA_PATH=./data/train.csv\n```",
                "Please revoke that key now: it's been shared in plain text. Then load it from "
                "an environment variable with `os.environ['OPENAI_API_KEY']` instead of a file "
                "in the repo, and add `.env` to `.gitignore`.",
            ),
            (
                "The upload to S3 fails with AccessDenied. I'm using access key {aws_key}.",
                "AccessDenied usually means the IAM user lacks `s3:PutObject` on that bucket. "
                "Also, never paste access keys: rotate this one in the IAM console.",
            ),
            (
                "What's the difference between a list and a tuple in Python?",
                "Lists are mutable and tuples are not; tuples can be dict keys and signal a "
                "fixed-size record. In Python {version} both support unpacking and slicing.",
            ),
            (
                "Training takes {days} on my laptop. How can I make it faster?",
                "Profile first: often data loading is the bottleneck. Use a DataLoader with "
                "several workers, mixed precision, and a smaller validation set during "
                "development. A cloud GPU would cut {days} to a few hours.",
            ),
            (
                "My teammate {friend} says I should use poetry instead of pip. Is it worth it?",
                "Poetry gives you a lock file and dependency groups, which helps teams. If the "
                "project is small, pip with a pinned requirements.txt is enough.",
            ),
            (
                "Can you explain what {einstein} meant by 'everything should be made as simple "
                "as possible'? I want to quote it in my code review guidelines.",
                "It's a paraphrase attributed to him: simplify until further simplification "
                "would lose something essential. In code review that means removing accidental "
                "complexity, not necessary behaviour.",
            ),
        ],
        "attributes": [
            ("is learning Python for data analysis", "good"),
            ("works as a professional software engineer", "overgeneralization"),
            ("uses pandas for data processing", "good"),
            ("is building a customer churn model", "good"),
            ("is an expert in machine learning", "overgeneralization"),
            ("prefers concise code examples", "unsupported_inference"),
            ("deploys web applications on their own server", "good"),
            ("works at a large tech company", "hallucination"),
        ],
    },
    "travel": {
        "open": [
            (
                "I'm planning {days} in {dest} next spring. What should I not miss?",
                "For {days} in {dest}, pick one neighbourhood per day, book the one museum you "
                "care most about in advance, and leave an afternoon free. Eat where locals queue "
                "at lunch; dinner spots near the sights are pricier.",
            ),
            (
                "Help me write an email to a hotel in {dest} asking for late check-in. My name "
                "is {name} and they can reach me at {phone}.",
                "Subject: Late check-in request\n\nDear reservations team,\n\nI have a booking "
                "under the name {name} and will arrive around 11 pm. Could you arrange a late "
                "check-in? You can reach me at {phone}.\n\nKind regards,\n{name}",
            ),
            (
                "Is it cheaper to fly into {dest} on a Tuesday? I was there in {year} and "
                "prices were crazy.",
                "Midweek flights are often cheaper, but it varies by route. Set a price alert "
                "for your dates and compare nearby airports.",
            ),
        ],
        "more": [
            (
                "My flight got cancelled. The airline's booking reference is under {email}, can "
                "you draft a complaint?",
                "Here's a draft:\n\nDear customer relations,\n\nMy flight was cancelled without "
                "notice. Under the applicable passenger rights rules I request a refund or "
                "rebooking and compensation. Please reply to {email}.",
            ),
            (
                "Should I get travel insurance for a trip of {days}?",
                "For a short trip it's mainly worth it if you've prepaid non-refundable costs or "
                "your health insurance doesn't cover you abroad.",
            ),
            (
                "We're travelling with my kid {kid}, who is 6. Any tips for long flights?",
                "Pack snacks, headphones and a few new small toys, book a window seat, and walk "
                "the aisle every couple of hours.",
            ),
            (
                "I'm also brushing up on my {french} before the trip. Which phrases matter most?",
                "Greetings, please and thank you, numbers, asking for directions and ordering "
                "food cover most situations. Locals appreciate the effort.",
            ),
        ],
        "attributes": [
            ("is planning a trip to {dest}", "good"),
            ("travels frequently for work", "overgeneralization"),
            ("has a six-year-old child", "good"),
            ("is wealthy", "unsupported_inference"),
            ("prefers budget travel", "task_context_confusion"),
            ("is a travel blogger", "hallucination"),
        ],
    },
    "cooking": {
        "open": [
            (
                "Give me a recipe for {dish} that takes under {days_short}.",
                "Here's a quick version of {dish}: prep your vegetables first, use a wide pan for "
                "more heat, and season in layers. Total time is about {days_short} if you start "
                "the rice first.",
            ),
            (
                "I'm hosting 8 people on Saturday, two are vegetarian. Menu ideas?",
                "Make the main dish vegetarian so nobody feels singled out: a big tray of "
                "roasted vegetable lasagna, a green salad, garlic bread, and a lemon tart.",
            ),
        ],
        "more": [
            (
                "Can I freeze {dish}?",
                "Yes, cool it fully, freeze in flat bags, and use it within three months. "
                "Reheat gently with a splash of water.",
            ),
            (
                "My partner {friend} is lactose intolerant. What can I use instead of cream?",
                "Coconut milk, cashew cream or a roux made with oat milk all work; coconut adds "
                "flavour, cashew is the most neutral.",
            ),
            (
                "How do I make it less spicy for my kid {kid}?",
                "Cook the base mild and add chilli oil at the table, so each person adjusts "
                "their own plate.",
            ),
        ],
        "attributes": [
            ("cooks at home regularly", "good"),
            ("is vegetarian", "overgeneralization"),
            ("hosts dinner parties", "good"),
            ("has a partner who is lactose intolerant", "good"),
            ("is a professional chef", "hallucination"),
            ("enjoys {dish}", "good"),
        ],
    },
    "french": {
        "open": [
            (
                "I'm studying {french} for {days_long}. Can you give me 10 verbs in the passé "
                "composé with être?",
                "Aller, venir, arriver, partir, entrer, sortir, naître, mourir, rester and "
                "tomber. Remember the past participle agrees with the subject: elle est allée.",
            ),
            (
                "Correct my {french}: 'Hier je suis allé au marché et j'ai acheté des pommes "
                "pour ma soeur {friend_first}.'",
                "It's correct! If you're a woman, write 'allée'. 'Soeur' is usually written "
                "'sœur'. Nice use of the passé composé.",
            ),
        ],
        "more": [
            (
                "What's the difference between tu and vous?",
                "Tu is informal (friends, family, children); vous is formal or plural. When in "
                "doubt with adults you don't know, use vous.",
            ),
            (
                "Make me a 2-week study plan, I have {days_short} a day.",
                "Week 1: 15 minutes of vocabulary with spaced repetition, 15 of listening "
                "(podcasts at slow speed). Week 2: add 10 minutes of writing a short diary entry "
                "and shadowing.",
            ),
            (
                "My tutor {friend} wants me to write a letter introducing myself. Here's mine: "
                "'Je m'appelle {first}, j'habite à {home_city} et mon numéro est le {phone}.'",
                "Good start. Add your age, your job and why you learn French, and close with "
                "'Cordialement' or 'À bientôt' depending on how formal your tutor is.",
            ),
        ],
        "attributes": [
            ("is learning French", "good"),
            ("is fluent in French", "overgeneralization"),
            ("has a French tutor", "good"),
            ("is moving to France", "unsupported_inference"),
            ("is a language teacher", "task_context_confusion"),
        ],
    },
    "job": {
        "open": [
            (
                "Write a cover letter for a {role} position at {company}. I'm {name}, "
                "{email}, {phone}. I worked at {employer} since {year}.",
                "{name}\n{email} · {phone}\n\nDear Hiring Manager,\n\nI am excited to apply for "
                "the {role} position at {company}. Since {year} at {employer} I have delivered "
                "projects end to end, worked closely with stakeholders and learned fast. I would "
                "welcome the chance to bring that to your team.\n\nSincerely,\n{name}",
            ),
            (
                "Can you improve my resume summary? '{role} with 4 years of experience. "
                "Contact: {email}, {address}.'",
                "Try: 'Results-driven {role} with 4 years of experience turning messy data into "
                "decisions.' Keep contact details in the header, not the summary.",
            ),
        ],
        "more": [
            (
                "The recruiter {manager} asked for my LinkedIn and GitHub. Mine is "
                "{github_url}. Should I clean it up first?",
                "Yes: pin your two best repositories, add READMEs with a screenshot and how to "
                "run them, and archive unfinished experiments.",
            ),
            (
                "How do I answer 'what's your biggest weakness'?",
                "Pick a real but non-critical weakness, show what you do about it, and give a "
                "short example of progress.",
            ),
            (
                "I have an interview in {days}. How should I prepare?",
                "Research the company, prepare five STAR stories, rehearse out loud, and write "
                "three questions to ask them.",
            ),
            (
                "They want a reference. My old boss {manager} said yes, her number is "
                "{phone_other}. How do I list it?",
                "List name, title, company, phone and e-mail, and tell your reference which role "
                "you applied for so she can tailor what she says.",
            ),
        ],
        "attributes": [
            ("is applying for {role} jobs", "good"),
            ("works at {employer}", "outdated"),
            ("is unemployed", "unsupported_inference"),
            ("is changing careers", "overgeneralization"),
            ("has about four years of work experience", "good"),
        ],
    },
    "health": {
        "open": [
            (
                "I've had {condition} for {days}. What can I do at home?",
                "Rest, gentle movement, staying hydrated and over-the-counter relief can help. "
                "If it lasts longer or gets worse, see a doctor.",
            ),
            (
                "Help me write a message to my doctor, Dr. {friend_last}, about {condition}. "
                "My date of birth is 04/12/1987 and my phone is {phone}.",
                "Dear Dr. {friend_last},\n\nI have had {condition} for several days and would "
                "like an appointment. Please call me at {phone}.\n\nThank you.",
            ),
        ],
        "more": [
            (
                "Is it safe to take ibuprofen every day?",
                "Short-term use is usually fine for healthy adults, but daily long-term use can "
                "affect the stomach and kidneys. Ask a pharmacist about your situation.",
            ),
            (
                "My insurance form asks for my SSN, it's {ssn}. Which box does it go in?",
                "Don't share your SSN in chats. On most forms it goes in the 'Member "
                "identification' section; check the insurer's instructions.",
            ),
        ],
        "attributes": [
            ("has {condition}", "good"),
            ("has a chronic illness", "sensitive_inference"),
            ("is health-conscious", "overgeneralization"),
            ("takes ibuprofen daily", "task_context_confusion"),
        ],
    },
    "finance": {
        "open": [
            (
                "How do I make a monthly budget? I earn about $4,200 after tax.",
                "Start with 50/30/20: needs about $2,100, wants $1,260, savings $840. Track "
                "for a month first, then adjust the categories to reality.",
            ),
            (
                "There's a charge I don't recognise on my card {card}. What should I do?",
                "Call your bank's fraud line right away, freeze the card in the app, and ask "
                "for a chargeback. Don't share the full card number anywhere else.",
            ),
        ],
        "more": [
            (
                "My landlord wants the deposit wired to {iban}. Is that normal?",
                "Paying by bank transfer is normal, but verify the IBAN by phone with your "
                "landlord before paying: changed bank details are a common scam.",
            ),
            (
                "Should I pay off my credit card or invest?",
                "Pay off high-interest card debt first: a 22% APR beats any expected return.",
            ),
            (
                "Explain compound interest like {einstein} supposedly did.",
                "Interest earns interest: $1,000 at 7% grows to about $1,967 in 10 years and "
                "$7,612 in 30.",
            ),
        ],
        "attributes": [
            ("earns about $4,200 a month after tax", "good"),
            ("is in debt", "overgeneralization"),
            ("rents their home", "good"),
            ("is financially irresponsible", "sensitive_inference"),
        ],
    },
    "fitness": {
        "open": [
            (
                "Make me a training plan for {sport} in {days_long}.",
                "Three runs a week: one easy, one with intervals, one long run growing by 10% "
                "weekly, plus two short strength sessions. Taper in the last week.",
            ),
        ],
        "more": [
            (
                "My knees hurt after long runs. Should I stop?",
                "Reduce the distance for a week, check your shoes, and add hip and glute "
                "strength work. If pain persists, see a physiotherapist.",
            ),
            (
                "I post my runs on Strava as {handle}, how do I hide my start location?",
                "In Strava's privacy controls set a map visibility zone around your home so the "
                "start and end of your activities are hidden.",
            ),
        ],
        "attributes": [
            ("is training for {sport}", "good"),
            ("is a competitive athlete", "overgeneralization"),
            ("has knee problems", "sensitive_inference"),
        ],
    },
    "housing": {
        "open": [
            (
                "Write a letter to my landlord about a broken heater. I live at {address}.",
                "Dear landlord,\n\nThe heater at {address} has not worked since Monday. Please "
                "arrange a repair this week.\n\nBest regards,\n{name}",
            ),
            (
                "I'm moving to a new apartment in {days}. Checklist?",
                "Book movers, change your address with the post office and bank, set up "
                "internet early, and photograph the old place when you leave for the deposit.",
            ),
        ],
        "more": [
            (
                "The rental application needs my SSN {ssn} and a reference. Is that safe to "
                "e-mail?",
                "Avoid sending your SSN by plain e-mail: use the landlord's secure portal or "
                "deliver it in person.",
            ),
            (
                "My neighbour {friend} keeps parking in my spot. How do I bring it up?",
                "Talk in person first, keep it friendly and specific, and only then involve the "
                "building manager.",
            ),
        ],
        "attributes": [
            ("lives in {home_city}", "good"),
            ("is a homeowner", "hallucination"),
            ("is moving soon", "good"),
            ("has conflicts with neighbours", "task_context_confusion"),
        ],
    },
    "writing": {
        "open": [
            (
                "Help me start a {genre} short story about a lighthouse keeper.",
                "The lamp had not failed in forty years, so when it went dark on the first night "
                "of winter, Ada knew someone had climbed the stairs before her.",
            ),
            (
                "Write a birthday poem for my friend {friend}.",
                "Another year of laughing loud,\nof standing out in any crowd;\nhere's to you, "
                "{friend}, bright and true,\nthe world is better sharing you.",
            ),
        ],
        "more": [
            (
                "Make it darker and add a twist.",
                "The keeper's logbook ended mid-sentence in {year}, yet the handwriting in "
                "the newest entry was her own.",
            ),
            (
                "I share my stories on twitter, {twitter_url}. How do I grow an audience?",
                "Post consistently, share short excerpts with a hook, reply to other writers, "
                "and use one or two relevant hashtags rather than many.",
            ),
        ],
        "attributes": [
            ("writes {genre} fiction", "good"),
            ("is a published author", "overgeneralization"),
            ("shares writing on social media", "good"),
        ],
    },
    "parenting": {
        "open": [
            (
                "My son {kid} won't sleep before 10 pm. He's 6. Tips?",
                "Keep a fixed routine, dim lights an hour before bed, no screens after dinner, "
                "and move bedtime earlier by 15 minutes every few days.",
            ),
        ],
        "more": [
            (
                "What are good science activities for a 6-year-old?",
                "Baking-soda volcanoes, growing beans in a jar, magnet hunts around the house "
                "and making a rain gauge.",
            ),
            (
                "Write a note to {kid}'s teacher, Ms. {friend_last}, that he'll miss school for "
                "{days}.",
                "Dear Ms. {friend_last},\n\n{kid} will be absent for {days} for a family "
                "matter. Please let us know what he should catch up on.\n\nThank you,\n{name}",
            ),
        ],
        "attributes": [
            ("is a parent of a young child", "good"),
            ("is a single parent", "unsupported_inference"),
            ("values education", "overgeneralization"),
        ],
    },
    "gardening": {
        "open": [
            (
                "How do I grow {plant} on a balcony?",
                "Use a large pot with drainage, six hours of sun, water when the top inch is "
                "dry and feed every two weeks in summer.",
            ),
        ],
        "more": [
            (
                "The leaves are turning yellow. Why?",
                "Most often overwatering or a lack of nitrogen. Let the soil dry a bit between "
                "waterings and add a balanced fertiliser.",
            ),
        ],
        "attributes": [
            ("grows {plant} on a balcony", "good"),
            ("lives in an apartment", "unsupported_inference"),
            ("is an experienced gardener", "overgeneralization"),
        ],
    },
}
ENGLISH_TOPICS = sorted(TOPICS)

# Sign-offs that make one persona's name, e-mail and phone recur across conversations.
SIGNOFFS = [
    "\n\nThanks!\n{name}\n{email} | {phone}",
    "\n\n— {first} ({email}, {phone})",
    "\n\nIf it's easier, text me at {phone} or write to {email}. {name}",
    "\n\nBest, {name} · {phone} · {email}",
]

# Attributes of any user, mostly the over-reaching kind extractors produce.
GENERAL_ATTRIBUTES = [
    ("is curious and likes to learn new things", "overgeneralization"),
    ("prefers detailed step-by-step answers", "good"),
    ("is polite to the assistant", "good"),
    ("is a student", "task_context_confusion"),
    ("is highly educated", "unsupported_inference"),
    ("is based in {country}", "good"),
    ("is introverted", "unsupported_inference"),
    ("is busy and values efficiency", "overgeneralization"),
    ("is interested in technology", "overgeneralization"),
    ("has a partner", "good"),
    ("is between 25 and 35 years old", "unsupported_inference"),
    ("works in {home_city}", "other"),
    ("is anxious about deadlines", "sensitive_inference"),
    ("enjoys reading", "hallucination"),
    ("speaks more than one language", "task_context_confusion"),
    ("uses ChatGPT for work tasks", "good"),
    ("prefers a friendly tone", "good"),
    ("is religious", "sensitive_inference"),
]
# Attributes that quote personal data, as extractors sometimes do.
PERSONAL_ATTRIBUTES = [
    ("is named {name}", "good", "The user signs messages as {name}."),
    ("can be reached at {email}", "good", "The user gives {email} as a contact address."),
    ("lives at {address}", "sensitive_inference", "The user writes a letter from {address}."),
]
REASONS = [
    "In conversation {conversation_id} the user asks about this directly.",
    "The user mentions it in turn {turn} of {conversation_id}.",
    "Inferred from repeated requests across several conversations.",
    "The user's questions in {conversation_id} imply it.",
    "Stated explicitly by the user ({conversation_id}, turn {turn}).",
]
REASONS_WITH_PII = [
    "The user signs as {name} in {conversation_id}.",
    "The user shares their phone number {phone} in {conversation_id}.",
    "The user gives the e-mail {email} and mentions this in {conversation_id}.",
]

# Scripted users send the same template again and again.
SCRIPTED_TEMPLATE = (
    "Write a 120-word SEO product description for an online shop. Tone: friendly. Include 3 "
    "bullet points and the keyword in the first sentence. Product: {product}"
)
SCRIPTED_PRODUCTS = [
    "stainless steel water bottle",
    "bamboo cutting board",
    "wireless earbuds",
    "yoga mat",
    "LED desk lamp",
    "ceramic coffee mug",
    "hiking backpack",
    "phone stand",
    "wool socks",
    "scented candle",
    "travel pillow",
    "notebook",
]
SCRIPTED_REPLY = (
    "Stay refreshed anywhere with our {product}. Built to last and easy to love, it fits your "
    "day from morning to night.\n- Durable, everyday design\n- Easy to clean\n- Makes a great "
    "gift"
)

# Conversations of users who do not write English: (language, [(user, assistant), ...]).
FOREIGN = {
    "French": [
        (
            "Bonjour, je m'appelle {name}. Pouvez-vous m'aider à écrire une lettre de "
            "motivation ? Mon e-mail est {email}.",
            "Bien sûr ! Voici une proposition :\n\nMadame, Monsieur,\n\nJe vous adresse ma "
            "candidature avec enthousiasme...\n\n{name}",
        ),
        (
            "Quelle est la meilleure recette de ratatouille ?",
            "Faites revenir séparément aubergines, courgettes, poivrons et oignons, puis "
            "mijotez-les ensemble avec des tomates, de l'ail et du thym pendant 40 minutes.",
        ),
        (
            "Mon numéro a changé, c'est le {phone}. Comment prévenir ma banque ?",
            "Connectez-vous à votre espace client ou appelez votre conseiller ; la plupart des "
            "banques demandent une confirmation par SMS.",
        ),
        (
            "Explique-moi la photosynthèse simplement.",
            "Les plantes captent la lumière pour transformer l'eau et le dioxyde de carbone en "
            "sucre et en oxygène.",
        ),
    ],
    "Chinese": [
        (
            "你好，我叫{name}。请帮我写一封求职信，我的邮箱是{email}。",
            "好的，以下是一封求职信的草稿：\n\n尊敬的招聘负责人：\n\n您好！我对贵公司的职位非常感兴趣……\n\n{name}",
        ),
        (
            "怎么用Python读取Excel文件？",
            "可以使用pandas：先安装openpyxl，然后用pd.read_excel('data.xlsx')读取。",
        ),
        (
            "我的手机号是{phone}，怎么绑定银行卡？",
            "请在银行App的“账户设置”中选择“绑定手机号”，按提示输入验证码即可。",
        ),
        (
            "推荐几本学习英语的书。",
            "可以试试《English Grammar in Use》和《Word Power Made Easy》，配合每天听力练习。",
        ),
    ],
    "Spanish": [
        (
            "Hola, soy {name}. ¿Me ayudas a preparar un viaje a Sevilla? Mi correo es {email}.",
            "¡Claro! Para tres días en Sevilla: el Alcázar, la Catedral y un paseo por Triana.",
        ),
        (
            "¿Cómo hago una tortilla de patatas jugosa?",
            "Confita las patatas a fuego lento, mézclalas con el huevo batido y cuájala poco "
            "por cada lado.",
        ),
        (
            "Mi teléfono es {phone}, ¿cómo lo cambio en mi cuenta del banco?",
            "Entra en la app de tu banco, busca 'Datos personales' y confirma el cambio con el "
            "código que te envíen.",
        ),
    ],
}
FOREIGN_ACCEPT_LANGUAGE = {
    "French": "fr-FR,fr;q=0.9",
    "Chinese": "zh-CN,zh;q=0.9",
    "Spanish": "es-ES,es;q=0.9",
}
FOREIGN_PLACES = {
    "French": ("France", "Île-de-France"),
    "Chinese": ("China", "Shanghai"),
    "Spanish": ("Spain", "Andalusia"),
}

SYNTHETIC_SOURCES = ["cupid", "personalens", "prefeval"]
SYNTHETIC_OCCUPATIONS = [
    "ornithologist",
    "nurse",
    "baker",
    "pilot",
    "librarian",
    "architect",
    "teacher",
    "carpenter",
    "chemist",
    "violinist",
]

# LIMA-style prompts written for this sample: (prompt, topic it touches, short generic answer).
PROMPTS = [
    (
        "How can I improve my sleep quality?",
        "health",
        "Keep a regular schedule, limit caffeine after noon, keep the bedroom dark and cool, and "
        "avoid screens for an hour before bed.",
    ),
    (
        "What is the best way to learn a new language as an adult?",
        "french",
        "Combine daily spaced-repetition vocabulary, lots of listening, and speaking practice with "
        "a tutor or partner from the first week.",
    ),
    (
        "Explain the difference between a Roth IRA and a traditional IRA.",
        "finance",
        "A traditional IRA gives a tax deduction now and taxes withdrawals; a Roth IRA is funded "
        "with taxed money and qualified withdrawals are tax-free.",
    ),
    (
        "Write a short motivational speech for a team before a big deadline.",
        "job",
        "We've done the hard part already. Let's finish the way we started: together, focused, and "
        "proud of what we ship.",
    ),
    (
        "How do I start running if I've never exercised?",
        "fitness",
        "Start with run-walk intervals three times a week, one minute running and two walking, and "
        "build up slowly over eight weeks.",
    ),
    (
        "What are some tips for cooking rice perfectly?",
        "cooking",
        "Rinse the rice, use the right water ratio, simmer covered on low heat, and let it rest "
        "ten minutes before fluffing.",
    ),
    (
        "Plan a one-week itinerary for Japan.",
        "travel",
        "Tokyo for three days, Hakone for one, Kyoto for two, and a day trip to Nara, using a rail "
        "pass for the long legs.",
    ),
    (
        "How can I be more productive when working from home?",
        "job",
        "Keep a dedicated workspace, plan your top three tasks each morning, batch meetings, and "
        "stop at a fixed time.",
    ),
    (
        "What should I look for when renting an apartment?",
        "housing",
        "Check water pressure, heating, noise, mobile signal, the lease terms and the deposit "
        "rules before signing.",
    ),
    (
        "Explain recursion to a beginner programmer.",
        "coding",
        "A recursive function solves a problem by calling itself on a smaller piece of it, and "
        "stops at a base case that needs no further calls.",
    ),
    (
        "How do I write a good cover letter?",
        "job",
        "Open with why this role, show two concrete achievements that match the job, and close "
        "with a clear next step.",
    ),
    (
        "What are easy houseplants for beginners?",
        "gardening",
        "Pothos, snake plants, ZZ plants and spider plants tolerate low light and irregular "
        "watering.",
    ),
    (
        "Give me ideas for a child's birthday party at home.",
        "parenting",
        "A treasure hunt, a craft table, a simple piñata and a make-your-own-pizza station keep "
        "kids busy.",
    ),
    (
        "How do I save money on groceries?",
        "finance",
        "Plan meals for the week, shop with a list, buy store brands, and cook larger batches to "
        "freeze.",
    ),
    (
        "What is the best way to prepare for a job interview?",
        "job",
        "Research the company, prepare stories about your achievements, practise out loud, and "
        "prepare questions for them.",
    ),
    (
        "Write a haiku about autumn.",
        "writing",
        "Crisp leaves drift and fall / the maple lets go of red / cold light on the path",
    ),
    (
        "How do I deal with stress at work?",
        "health",
        "Name what causes it, set boundaries on hours, take short breaks, move every day, and talk "
        "to your manager about workload.",
    ),
    (
        "What is a good beginner strength training routine?",
        "fitness",
        "Three full-body sessions a week with squats, push-ups, rows, hinges and planks, adding "
        "weight or reps gradually.",
    ),
    (
        "How do I make a budget spreadsheet?",
        "finance",
        "List income, fixed costs and variable costs in columns by month, add formulas for totals, "
        "and compare planned against actual.",
    ),
    (
        "How can I keep my kids off screens in the summer?",
        "parenting",
        "Agree on screen times together, plan outdoor activities, and make books and games easy to "
        "reach.",
    ),
    (
        "Suggest a vegetarian dinner for a cold evening.",
        "cooking",
        "A hearty lentil and vegetable stew with crusty bread, or a baked squash with feta and "
        "herbs.",
    ),
    (
        "What are the main sights in Rome?",
        "travel",
        "The Colosseum, the Roman Forum, the Pantheon, the Vatican Museums and Trastevere for "
        "dinner.",
    ),
    (
        "How do I get better at public speaking?",
        "job",
        "Practise with a timer, record yourself, know your first and last lines by heart, and "
        "speak slower than feels natural.",
    ),
    (
        "Explain how a neural network learns.",
        "coding",
        "It makes predictions, measures the error with a loss function, and adjusts its weights a "
        "little in the direction that reduces the error, many times over.",
    ),
    (
        "What should I pack for a weekend hiking trip?",
        "travel",
        "Layers, rain jacket, sturdy shoes, map, water filter, snacks, first-aid kit, headlamp and "
        "a charged phone.",
    ),
    (
        "How do I write a story that hooks the reader?",
        "writing",
        "Open in the middle of action, give the character a clear want, and raise a question the "
        "reader needs answered.",
    ),
    (
        "What are good habits for learning to code?",
        "coding",
        "Code a little every day, build small projects you care about, read other people's code, "
        "and learn to use a debugger early.",
    ),
    (
        "How can I make friends in a new city?",
        "housing",
        "Join a club or class that meets weekly, say yes to invitations, and volunteer; repeated "
        "contact builds friendships.",
    ),
    (
        "Give me tips for a long-haul flight.",
        "travel",
        "Hydrate, move around every hour, adjust to the destination's time zone, and bring "
        "noise-cancelling headphones.",
    ),
    (
        "How do I negotiate a higher salary?",
        "job",
        "Research the market range, anchor slightly above it, talk about the value you bring, and "
        "negotiate the whole package.",
    ),
    (
        "What's a good way to meal-prep for the week?",
        "cooking",
        "Cook two grains, roast a tray of vegetables, prepare two proteins and three sauces on "
        "Sunday, then combine.",
    ),
    (
        "How do I get my toddler to eat vegetables?",
        "parenting",
        "Offer them often without pressure, let them help cook, and serve vegetables alongside a "
        "food they already like.",
    ),
    (
        "Explain the basics of investing in index funds.",
        "finance",
        "Index funds buy a whole market cheaply; invest regularly, keep fees low, and hold for the "
        "long term.",
    ),
    (
        "How do I keep basil alive indoors?",
        "gardening",
        "Give it the sunniest window, water when the soil surface dries, and pinch off flower "
        "buds.",
    ),
    (
        "Write a thank-you note to a colleague who helped me.",
        "writing",
        "Thank you for jumping in last week; your help made the launch possible and I learned a "
        "lot from how you work.",
    ),
    (
        "How can I learn French vocabulary faster?",
        "french",
        "Learn words in phrases, review with spaced repetition, label things at home, and use new "
        "words in short sentences.",
    ),
    (
        "What are the warning signs of burnout?",
        "health",
        "Constant exhaustion, cynicism about work, lower performance, and trouble sleeping are "
        "common signs.",
    ),
    (
        "How do I set up a Python virtual environment?",
        "coding",
        "Run `python -m venv .venv`, activate it, and install packages with pip inside it.",
    ),
    (
        "What should I know before adopting a dog?",
        "parenting",
        "Consider time, space, costs, the breed's energy level, and who walks the dog every day.",
    ),
    (
        "How do I stay motivated to study?",
        "french",
        "Set small daily goals, track streaks, study at the same time each day, and reward "
        "progress.",
    ),
]
PERSONALIZATION_HOOKS = [
    "Since {attribute}, start with what fits your week.",
    "Because {attribute}, I've adjusted the suggestions.",
    "Given that {attribute}, here is a version that fits you.",
]
IMPLICIT_TAILORING = [
    "Pick the option that fits a busy schedule and scale it up later.",
    "I've kept the steps short so you can fit them around work.",
    "Start small this week and build from there.",
    "You could try this over the weekend first.",
]
GENERATORS = ["gpt-4o", "claude-3-5-sonnet", "llama-3.1-70b-instruct"]
LLM_JUDGES = ["gpt-4o", "claude-3-5-sonnet", "llama-3.1-70b", "qwen2.5-72b", "gemini-1.5-pro"]

# Conjugation of the first word of an attribute phrase, to address the user in a response.
SECOND_PERSON = {
    "is": "you're",
    "has": "you have",
    "works": "you work",
    "lives": "you live",
    "prefers": "you prefer",
    "enjoys": "you enjoy",
    "uses": "you use",
    "cooks": "you cook",
    "writes": "you write",
    "hosts": "you host",
    "travels": "you travel",
    "grows": "you grow",
    "earns": "you earn",
    "rents": "you rent",
    "values": "you value",
    "deploys": "you deploy",
    "takes": "you take",
    "shares": "you share",
    "speaks": "you speak",
    "can": "you can",
}

# Follow-ups that fit any topic, used when a conversation runs longer than its topic's material.
GENERIC_FOLLOWUPS = [
    (
        "Thanks! Can you summarise that in three bullet points?",
        "- Start with the essentials\n- Adjust to your situation\n- Review after a week",
    ),
    ("Can you make it shorter?", "Sure, here's a shorter version with just the key steps."),
    (
        "What would you do in my place?",
        "I'd start with the simplest option this week and see how it goes before investing more.",
    ),
    ("ok", "Glad that helps! Let me know if you want to go deeper on any part."),
    (
        "Can you explain that again more simply?",
        "In short: do the small, safe step first, check the result, then take the next one.",
    ),
]
