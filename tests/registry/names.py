"""Name lists of the dedup ground truth: its own, not `himaya synth`'s.

Each entry is the Arabic spelling, then Latin transliterations as Omani and Gulf registries write
them (the first is the most common). Order is rough frequency: the generator draws by rank.
"""

from __future__ import annotations

MALE = """
محمد|Mohammed,Mohamed,Muhammad,Mohammad
أحمد|Ahmed,Ahmad
علي|Ali,Aly
سالم|Salim,Salem,Saleem
سعيد|Said,Saeed,Sayed
خالد|Khalid,Khaled
عبدالله|Abdullah,Abdulla,Abdallah
حمد|Hamad,Hamed
سيف|Saif,Sayf,Seif
ناصر|Nasser,Nasir,Naser
سليمان|Sulaiman,Suleiman,Sulayman
حمود|Hamood,Hamoud,Hamud
خلفان|Khalfan,Khelfan
راشد|Rashid,Rashed
سعود|Saud,Saoud
يوسف|Yousuf,Yusuf,Youssef
إبراهيم|Ibrahim,Ebrahim
عبدالرحمن|Abdulrahman,Abdul Rahman,Abdelrahman
مبارك|Mubarak,Mobarak
هلال|Hilal,Helal
يعقوب|Yaqoob,Yaqub,Yacoub
عامر|Amer,Aamer,Amir
ماجد|Majid,Majed
فهد|Fahad,Fahd
بدر|Badr,Bader
جمعة|Juma,Jumaa,Jumah
مسلم|Musallam,Muslim
زاهر|Zaher,Zahir
طالب|Talib,Taleb
ياسر|Yasser,Yasir
منصور|Mansoor,Mansour,Mansur
عيسى|Issa,Eisa,Isa
موسى|Musa,Mousa
حسن|Hassan,Hasan
حسين|Hussain,Hussein,Husain
عمر|Omar,Umar
سلطان|Sultan,Soltan
مرهون|Marhoon,Marhoun
بدر الدين|Badruddin,Badr Aldin
غالب|Ghalib,Ghaleb
قاسم|Qasim,Gasim,Kassim
ثاني|Thani,Thany
ذياب|Dhiyab,Thiyab,Diyab
صالح|Salih,Saleh
عادل|Adil,Adel
وليد|Waleed,Walid
هاشم|Hashim,Hashem
نبهان|Nabhan,Nebhan
شامس|Shamis,Shames
مازن|Mazin,Mazen
أنور|Anwar,Anouar
بلال|Bilal,Belal
تركي|Turki,Torki
جابر|Jaber,Jabir
حارث|Harith,Hareth
حمدان|Hamdan,Hemdan
خميس|Khamis,Khamees
درويش|Darwish,Darweesh
رجب|Rajab,Rajeb
زكريا|Zakariya,Zakaria
سالمين|Salmeen,Salmin
شهاب|Shihab,Shehab
صقر|Saqr,Saqer
طارق|Tariq,Tarek
عزان|Azzan,Azan
فيصل|Faisal,Faysal
كهلان|Kahlan,Kehlan
مالك|Malik,Malek
نايف|Naif,Nayef
هيثم|Haitham,Haytham
"""

FEMALE = """
فاطمة|Fatma,Fatima,Fatimah
عائشة|Aisha,Aysha,Ayesha
مريم|Maryam,Mariam
خديجة|Khadija,Khadeeja
زينب|Zainab,Zaynab
شمسة|Shamsa,Shamsah
موزة|Moza,Mouza,Muza
وفاء|Wafa,Wafaa
لطيفة|Latifa,Lateefa
سلمى|Salma,Selma
نورة|Noora,Noura,Nora
أسماء|Asma,Asmaa
شيخة|Shaikha,Sheikha
منى|Muna,Mona
حليمة|Halima,Haleema
سعاد|Suad,Souad
رحمة|Rahma,Rahmah
بثينة|Buthaina,Buthayna
علياء|Alya,Alyaa
سارة|Sara,Sarah
هدى|Huda,Hoda
آمنة|Amna,Aamna
رقية|Ruqaya,Roqaya
ليلى|Laila,Layla
جميلة|Jamila,Jameela
ثريا|Thuraya,Thuraiya
كلثم|Kulthum,Kalthum
بشرى|Bushra,Boshra
"""

TRIBES = """
البلوشي|Al Balushi,Al Baloushi,Balushi,Al-Balooshi
الحارثي|Al Harthy,Al Harthi,Al-Harthy
الكندي|Al Kindi,Al Kendi
الشيزاوي|Al Shizawi,Al Shezawi,Ash-Shizawi
الزدجالي|Al Zadjali,Az-Zadjali,Azzadjali,Al Zedjali
العبري|Al Abri,Al-Abri,Abri
العجمي|Al Ajmi,Al-Ajmi,Ajmi
الهنائي|Al Hinai,Al Hinaai,Al-Hinai
الرواحي|Al Rawahi,Ar-Rawahi,Arrawahi
السيابي|Al Siyabi,As-Siyabi,Al Seyabi
المعمري|Al Maamari,Al Mamari,Al-Ma'amari
الغافري|Al Ghafri,Al Ghafari,Al-Ghafri
النعماني|Al Nomani,An-Nomani,Al Numani
البوسعيدي|Al Busaidi,Al Bu Saidi,Al-Busaidy
الفارسي|Al Farsi,Al-Farsi,Farsi
الراشدي|Al Rashdi,Ar-Rashdi,Al Rashidi
الشكيلي|Al Shukaili,Ash-Shukaili,Al Shukeili
السعدي|Al Saadi,As-Saadi,Al Sadi
المقبالي|Al Maqbali,Al Mokbali,Al Maqbaly
الحبسي|Al Habsi,Al-Habsi
الجابري|Al Jabri,Al-Jabri,Aljabri
الوهيبي|Al Wahaibi,Al Wuhaibi
العامري|Al Amri,Al Aamri,Al-Ameri
اللواتي|Al Lawati,Al Luwati
الريامي|Al Riyami,Ar-Riyami,Al Reyami
المحروقي|Al Mahrouqi,Al Mahruqi
التوبي|Al Toobi,Al Tubi,At-Toubi
الكلباني|Al Kalbani,Al Kelbani
الشحي|Al Shehhi,Al Shihhi,Ash-Shehhi
الدرعي|Al Daraai,Al Dar'i,Ad-Daraai
العلوي|Al Alawi,Al-Alawi,Alawi
المنذري|Al Mundhari,Al Mundhiri,Al-Manthari
الخروصي|Al Kharusi,Al Kharousi
اليعربي|Al Yarubi,Al Ya'rubi
الإسماعيلي|Al Ismaili,Al Esmaili
السناني|Al Sinani,As-Sinani
البادي|Al Badi,Al Baadi
الهاشمي|Al Hashmi,Al Hashimi
المسكري|Al Maskari,Al Muskari
الصلتي|Al Salti,As-Salti
العريمي|Al Oraimi,Al Uraimi
الحضرمي|Al Hadhrami,Al Hadrami
البطاشي|Al Battashi,Al Batashi
الغيلاني|Al Ghailani,Al Ghilani
الشبلي|Al Shibli,Ash-Shibli
الفليتي|Al Fulaiti,Al Flaiti
الندابي|Al Nadabi,An-Nadabi
الحوسني|Al Hosni,Al Husni
المعولي|Al Maawali,Al Mawali
القاسمي|Al Qasmi,Al Gasmi
"""

# Given names that twins are often given: close in writing, different people.
LOOK_ALIKE = (("حمد", "حمود"), ("سعيد", "سعود"), ("سالم", "سليم"), ("هلال", "بلال"), ("ماجد", "مجيد"))
LOOK_ALIKE_LATIN = {"سليم": "Saleem", "بلال": "Bilal", "مجيد": "Majeed"}


def parse(listing: str) -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for line in listing.strip().splitlines():
        arabic, latin = line.split("|")
        rows.append((arabic, tuple(latin.split(","))))
    return rows
