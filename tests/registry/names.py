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

# A longer tail, for `build(..., wide=True)`: a national registry holds far more names than the
# lists above, and with only those, namesakes (the same four names, the same birth date) become
# frequent at a million persons. Drawn by rank after the lists above, so the head is unchanged.
MALE_MORE = """
عبدالعزيز|Abdulaziz,Abdul Aziz
عبدالكريم|Abdulkarim,Abdul Karim
عبدالرحيم|Abdulrahim,Abdul Rahim
عبداللطيف|Abdullatif,Abdul Latif
عبدالحميد|Abdulhamid,Abdul Hamid
عبدالمجيد|Abdulmajeed,Abdul Majid
عبدالسلام|Abdulsalam,Abdul Salam
عبدالملك|Abdulmalik,Abdul Malik
عبدالوهاب|Abdulwahab,Abdul Wahab
عبدالحكيم|Abdulhakim,Abdul Hakeem
مصطفى|Mustafa,Mostafa
محمود|Mahmoud,Mahmood
مختار|Mukhtar,Mokhtar
أيمن|Ayman,Aiman
أسامة|Osama,Usama
إسماعيل|Ismail,Esmail
إسحاق|Ishaq,Isaac
أكرم|Akram,Akrem
باسم|Basim,Basem
جمال|Jamal,Gamal
حاتم|Hatim,Hatem
حمزة|Hamza,Hamzah
خليل|Khalil,Khaleel
رائد|Raed,Raid
زياد|Ziyad,Ziad
سامي|Sami,Samy
شريف|Sharif,Shareef
صابر|Sabir,Saber
عاصم|Asim,Assem
عثمان|Othman,Uthman
عدنان|Adnan,Adnaan
عماد|Imad,Emad
عمار|Ammar,Amar
عوض|Awadh,Awad
غسان|Ghassan,Ghasan
فارس|Faris,Fares
فؤاد|Fuad,Fouad
قيس|Qais,Qays
كمال|Kamal,Kamel
ماهر|Maher,Mahir
محسن|Mohsin,Muhsin
مراد|Murad,Mourad
مروان|Marwan,Merwan
مهند|Muhannad,Mohanad
نادر|Nadir,Nader
نبيل|Nabil,Nabeel
نزار|Nizar,Nezar
هشام|Hisham,Hesham
وائل|Wael,Wail
يحيى|Yahya,Yehia
يونس|Younis,Yunus
إدريس|Idris,Edris
أنس|Anas,Enas
بشير|Bashir,Basheer
ثامر|Thamir,Thamer
جاسم|Jasim,Jassim
حسام|Hussam,Hossam
سلمان|Salman,Selman
شاكر|Shakir,Shaker
طلال|Talal,Tallal
"""

FEMALE_MORE = """
أمل|Amal,Amel
إيمان|Iman,Eman
بدرية|Badriya,Badria
جواهر|Jawaher,Jawahir
حنان|Hanan,Hanaan
خلود|Khulood,Kholoud
رباب|Rabab,Rebab
ريم|Reem,Rim
زهرة|Zahra,Zahraa
سمية|Sumaya,Somaya
شريفة|Sharifa,Shareefa
صفية|Safiya,Safia
عزيزة|Aziza,Azeeza
غالية|Ghaliya,Ghalia
فضيلة|Fadhila,Fadila
مها|Maha,Mahaa
نجلاء|Najla,Najlaa
هاجر|Hajar,Hajer
ياسمين|Yasmin,Yasmeen
"""

TRIBES_MORE = """
المعشني|Al Mashani,Al Ma'ashani
الشنفري|Al Shanfari,Ash-Shanfari
الرواس|Al Rawas,Ar-Rawas
الكثيري|Al Kathiri,Al Kathiry
المهري|Al Mahri,Al Mahry
العوفي|Al Awfi,Al Oufi
الحجري|Al Hajri,Al Hajry
الجنيبي|Al Junaibi,Al Jneibi
البحري|Al Bahri,Al Bahry
الشامسي|Al Shamsi,Ash-Shamsi
الكعبي|Al Kaabi,Al Kabi
المزروعي|Al Mazrouei,Al Mazroui
النعيمي|Al Nuaimi,Al Naimi
الظاهري|Al Dhaheri,Al Zahiri
السويدي|Al Suwaidi,As-Suwaidi
الفزاري|Al Fazari,Al Fezari
الصوافي|Al Sawafi,As-Sawafi
المسروري|Al Masrouri,Al Masruri
الخنجري|Al Khanjari,Al Khanjary
الرئيسي|Al Raisi,Al Raeesi
الهنداسي|Al Hindasi,Al Hendasi
المشيخي|Al Mashikhi,Al Musheikhi
الصبحي|Al Subhi,As-Subhi
الرحبي|Al Rahbi,Ar-Rahbi
الكيومي|Al Kiyumi,Al Kiyoumi
الجهوري|Al Jahwari,Al Jahuri
العزري|Al Azri,Al Ezri
الحمداني|Al Hamdani,Al Hamadani
اليحيائي|Al Yahyai,Al Yahyaei
الزيدي|Al Zaidi,Az-Zaidi
الخصيبي|Al Khusaibi,Al Khasibi
البرواني|Al Barwani,Al Berwani
المغيري|Al Mughairi,Al Mugheiri
الشقصي|Al Shaqsi,Ash-Shaqsi
الحديدي|Al Hadidi,Al Hadeedi
المحرزي|Al Mahrazi,Al Mahrizi
النبهاني|Al Nabhani,An-Nabhani
الوائلي|Al Waili,Al Wa'ili
الغساني|Al Ghassani,Al Ghasani
الأغبري|Al Aghbari,Al Agbari
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
