# ruff: noqa: E501  (a catalogue: one message a line, English then Arabic)
"""Arabic help for the command line: `himaya --lang ar --help`, or HIMAYA_LANG=ar.

Keyed by the English help as written in the commands (spaces collapsed), like a gettext catalogue:
a command or option added without its Arabic here fails tests/cli/test_arabic_help.py.
"""

from __future__ import annotations

from typing import Any

from typer import rich_utils

from himaya.cli.help_ar_insurance import HELP_AR_INSURANCE
from himaya.core.text import isolate_ltr

HELP_AR = {
    "The open statistics: aggregates under disclosure control.": "الإحصاءات المفتوحة: مجاميع تخضع لضوابط عدم الإفصاح.",
    "Beneficiaries and spending by programme, governorate and month: counts under 10 persons suppressed, with the cells that would give them back; amounts rounded to 1,000 OMR.": "المستفيدون والإنفاق حسب المنفعة والمحافظة والشهر: تُحجب الأعداد التي تقل عن 10 أفراد مع الخلايا التي قد تكشفها، وتُقرَّب المبالغ إلى أقرب 1,000 ريال عُماني.",
    "csv (open data) or json.": "csv (بيانات مفتوحة) أو json.",
    "First month, YYYY-MM (default: eleven months before --to).": "الشهر الأول بصيغة YYYY-MM (الافتراضي: أحد عشر شهراً قبل --to).",
    "Last month, YYYY-MM (default: this month).": "الشهر الأخير بصيغة YYYY-MM (الافتراضي: الشهر الحالي).",
    "Only this programme (repeat for more; all: the totals).": "هذه المنفعة فقط (كرِّره لأكثر من منفعة؛ all: المجاميع).",
    "Only this governorate (repeat for more; all: the totals).": "هذه المحافظة فقط (كرِّره لأكثر من محافظة؛ all: المجاميع).",
    "File to write; standard output without it.": "الملف المراد كتابته؛ وبدونه يُكتب على المخرج القياسي.",
    "Himaya (حماية): a unified, life-cycle social protection system.": "حماية: منظومة موحدة للحماية الاجتماعية على امتداد دورة الحياة. المساعدة بالعربية: himaya --lang ar --help أو HIMAYA_LANG=ar.",
    "Today's rules and a reform on the same population: cost, coverage, poverty, inequality, gainers.": "القواعد النافذة وإصلاح مقترح على السكان أنفسهم: التكلفة والتغطية والفقر وعدم المساواة والمستفيدون والخاسرون.",
    "The month, YYYY-MM.": "الشهر بصيغة YYYY-MM.",
    "Reform YAML compared with today's rules.": "ملف الإصلاح (YAML) الذي يُقارن بالقواعد النافذة.",
    "People table, CSV or Parquet; or use --registry.": "جدول الأفراد (CSV أو Parquet)؛ أو استخدم --registry.",
    "Use the registry as it stood at the end of the period.": "استخدم السجل كما كان في نهاية الشهر.",
    "Folder for the JSON, CSV and charts (created if missing).": "مجلد ملفات JSON وCSV والرسوم البيانية (يُنشأ إن لم يوجد).",
    "Print the JSON to standard output instead of the report.": "اطبع JSON على المخرج القياسي بدلاً من التقرير.",
    "Chart format in --output: svg or png.": "صيغة الرسوم البيانية في --output: svg أو png.",
    "Policy pack.": "حزمة السياسات.",
    "Problems to list for a refused table (0: all).": "عدد المشكلات المعروضة لجدول مرفوض (0: كلها).",
    "Project beneficiaries, cost and cost as a share of GDP, year by year, for one or more scenarios.": "إسقاط أعداد المستفيدين والتكلفة ونسبتها من الناتج المحلي الإجمالي سنة بسنة، لسيناريو واحد أو أكثر.",
    "First year (2025 at the earliest).": "السنة الأولى (2025 على الأقل).",
    "Last year (2099 at the latest).": "السنة الأخيرة (2099 على الأكثر).",
    "Scenario YAML; repeat to compare several (default: today's rules).": "ملف السيناريو (YAML)؛ كرِّره للمقارنة بين عدة سيناريوهات (الافتراضي: القواعد النافذة).",
    "Show every N-th year in the report.": "اعرض كل سنة رقم N في التقرير.",
    "The main job end to end: a synthetic Oman into the registry, duplicates found and merged, the month's entitlements, one family explained, the month's payroll to bank files; then the API, with a demo user per role, until Ctrl-C.": "العمل الرئيسي من أوله إلى آخره: سكان عُمان اصطناعيون في السجل، والتسجيلات المكررة مكتشفة ومدمجة، واستحقاقات الشهر، وشرح أسرة واحدة، وكشف رواتب الشهر إلى ملفات المصارف؛ ثم واجهة البرمجة بمستخدم تجريبي لكل دور حتى Ctrl-C.",
    "Size of the synthetic population.": "حجم السكان الاصطناعيين.",
    "Use this people table instead of the registry demo.": "استخدم جدول الأفراد هذا بدلاً من عرض السجل.",
    "Folder for the payroll's bank files.": "مجلد ملفات المصارف لكشف الرواتب.",
    "At the end, serve the API with a demo user per role.": "في النهاية، شغِّل واجهة البرمجة بمستخدم تجريبي لكل دور.",
    "Port of the demo API.": "منفذ واجهة البرمجة التجريبية.",
    "Compute the month's entitlements: one row per person and programme with a positive amount.": "احسب استحقاقات الشهر: صف لكل فرد ومنفعة بمبلغ موجب.",
    "People table: CSV or Parquet (see docs/people-table.md); or use --registry.": "جدول الأفراد: CSV أو Excel أو Parquet (انظر docs/people-table.md)؛ أو استخدم --registry.",
    "Reform YAML laid over the parameters.": "ملف إصلاح (YAML) يُطبَّق على المعاملات.",
    "File to write; CSV to standard output without it.": "الملف المراد كتابته؛ وبدونه يُكتب CSV على المخرج القياسي.",
    "csv, parquet or json (default: from the extension).": "csv أو parquet أو json (الافتراضي: حسب امتداد الملف).",
    "Explain why one person or family gets what they get: conditions, figures, parameters, amounts.": "اشرح لماذا يحصل فرد أو أسرة على ما يحصل عليه: الشروط والأرقام والمعاملات والمبالغ.",
    "Explain this person (person_id).": "اشرح هذا الفرد (person_id).",
    "Explain every member of this family (family_id).": "اشرح كل فرد في هذه الأسرة (family_id).",
    "Language: en or ar.": "اللغة: en أو ar.",
    "List the parameter tree: value in force, unit, status, legal reference and description.": "اعرض شجرة المعاملات: القيمة النافذة والوحدة والحالة والمرجع القانوني والوصف.",
    "Show values in force on this date (default: today).": "اعرض القيم النافذة في هذا التاريخ (الافتراضي: اليوم).",
    "Only CONFIRMED, LIKELY, ASSUMED or (with --reform) REFORM values.": "القيم المؤكدة (CONFIRMED) أو المرجحة (LIKELY) أو المفترضة (ASSUMED) فقط، أو (مع --reform) قيم الإصلاح (REFORM).",
    "Generate a synthetic people table (with registry columns) that looks and behaves like Oman's.": "أنشئ جدول أفراد اصطناعياً (بأعمدة السجل) يشبه سكان عُمان في شكله وسلوكه.",
    "File to write: .csv or .parquet.": "الملف المراد كتابته: .csv أو .parquet.",
    "Random seed: the same seed gives the same file.": "البذرة العشوائية: البذرة نفسها تعطي الملف نفسه.",
    "How many persons.": "عدد الأفراد.",
    "Share of the population: 1.0 is all of Oman (about 5.17 million).": "نسبة من السكان: 1.0 هي عُمان كلها (نحو 5.17 مليون).",
    "Only this governorate, e.g. 'Ad Dakhiliyah'.": "هذه المحافظة فقط، مثل 'Ad Dakhiliyah'.",
    "Share of persons registered a second time (0 to 0.5).": "نسبة الأفراد المسجلين مرة ثانية (من 0 إلى 0.5).",
    "Date the ages are counted at.": "التاريخ الذي تُحسب عنده الأعمار.",
    "Print the calibration table and the age pyramid against WPP.": "اطبع جدول المعايرة والهرم العمري مقارنةً بتقديرات الأمم المتحدة (WPP).",
    "Serve the HTTP API (OpenAPI documentation at /docs) on the configured database.": "شغِّل واجهة البرمجة عبر HTTP (توثيق OpenAPI في /docs) على قاعدة البيانات المهيأة.",
    "Address to listen on.": "العنوان الذي يُستمع عليه.",
    "Port to listen on.": "المنفذ الذي يُستمع عليه.",
    "Worker processes (one per core is a good start).": "عدد العمليات العاملة (واحدة لكل نواة بداية جيدة).",
    "Enrollment in the programmes.": "التسجيل في المنافع.",
    "Enroll everyone the rules find entitled in the month; end the enrollments of the others.": "سجِّل كل من تجده القواعد مستحقاً في الشهر، وأنهِ تسجيل غيرهم.",
    "Who acts (default: HIMAYA_ACTOR or the OS user).": "من يقوم بالإجراء (الافتراضي: HIMAYA_ACTOR أو مستخدم النظام).",
    "The monthly payroll: run, submit, approve, export, reconcile.": "كشف الرواتب الشهري: الإعداد والتقديم والاعتماد والتصدير والمطابقة.",
    "Calculate the month's payment lines (again, until the run is submitted).": "احسب بنود الدفع للشهر (ويمكن إعادة الحساب حتى يُقدَّم الكشف).",
    "child: the child's account, else the guardian's; guardian: always the guardian's.": "child: حساب الطفل وإلا فحساب ولي الأمر؛ guardian: حساب ولي الأمر دائماً.",
    "Most of a debtor's monthly payment deducted for debts (0 to 1).": "أقصى نسبة من الدفعة الشهرية للمدين تُقتطع لسداد الديون (من 0 إلى 1).",
    "Submit the calculated run for approval (the maker).": "قدِّم الكشف المحسوب للاعتماد (المُعِدّ).",
    "Approve a submitted run (the checker: not the user who submitted it). An approved run cannot change.": "اعتمد كشفاً مقدَّماً (المدقِّق: غير المستخدم الذي قدَّمه). لا يتغير الكشف المعتمد.",
    "Close a reconciled run.": "أغلق كشفاً تمت مطابقته.",
    "Write the approved run as ISO 20022 pain.001.001.09 files (one or more per payee bank), schema-validated.": "اكتب الكشف المعتمد ملفات ISO 20022 pain.001.001.09 (ملف أو أكثر لكل مصرف مستفيد)، متحققاً منها بالمخطط.",
    "Folder for the pain.001 files.": "مجلد ملفات pain.001.",
    "Requested execution date (default: today).": "تاريخ التنفيذ المطلوب (الافتراضي: اليوم).",
    "Most transfers in one file.": "أقصى عدد من التحويلات في الملف الواحد.",
    "Apply the bank's answer: lines become paid, rejected (with the bank's reason) or returned.": "طبِّق رد المصرف: تصبح البنود مدفوعة أو مرفوضة (مع سبب المصرف) أو مرتجعة.",
    "A bank's pain.002.001.10 status report or camt.054.001.08 notification.": "تقرير حالة pain.002.001.10 أو إشعار camt.054.001.08 من المصرف.",
    "Where each run stands.": "أين يقف كل كشف.",
    "Beneficiaries and amounts by programme and governorate, and the changes against the month before.": "المستفيدون والمبالغ حسب المنفعة والمحافظة، والتغيرات مقارنةً بالشهر السابق.",
    "Write the report as CSV (and the diff beside it, NAME-diff.csv).": "اكتب التقرير بصيغة CSV (والفروق بجانبه في NAME-diff.csv).",
    "Create or migrate the database.": "أنشئ قاعدة البيانات أو رحِّلها.",
    "Create the database, or migrate it to the latest revision (SQLite file or HIMAYA_DATABASE_URL).": "أنشئ قاعدة البيانات أو رحِّلها إلى آخر مراجعة (ملف SQLite أو HIMAYA_DATABASE_URL).",
    "Which database is used and whether it is up to date.": "أي قاعدة بيانات تُستخدم وهل هي محدَّثة.",
    "The registry of people and families.": "سجل الأفراد والأسر.",
    "Import or update people by civil number; a file with any bad row is refused whole.": "استورد الأفراد أو حدِّثهم بالرقم المدني؛ يُرفض الملف كله إن كان فيه صف خاطئ.",
    "People table with registry columns, CSV or Parquet (as `himaya synth` writes).": "جدول الأفراد بأعمدة السجل، CSV أو Excel أو Parquet (كما يكتبه himaya synth).",
    "Effective date (default: today in Muscat).": "تاريخ السريان (الافتراضي: اليوم بتوقيت مسقط).",
    "Who acts, for the audit trail (default: HIMAYA_ACTOR or the OS user).": "من يقوم بالإجراء، لسجل التدقيق (الافتراضي: HIMAYA_ACTOR أو مستخدم النظام).",
    "The people table with the registry columns, as of today (or `--at`).": "جدول الأفراد بأعمدة السجل كما هو اليوم (أو في --at).",
    "File to write (.csv or .parquet); CSV to standard output without it.": "الملف المراد كتابته (.csv أو .parquet)؛ وبدونه يُكتب CSV على المخرج القياسي.",
    "As the registry stood on this day (default: today).": "كما كان السجل في هذا اليوم (الافتراضي: اليوم).",
    "A person with family, situation, assessments, incomes, bank accounts and enrollments, with history.": "فرد بأسرته ووضعه وتقييماته ودخوله وحساباته المصرفية وتسجيلاته، مع تاريخها.",
    "Civil number.": "الرقم المدني.",
    "Find people registered twice: scored pairs for a person to review (merge with `himaya registry merge`).": "اكتشف الأفراد المسجلين مرتين: أزواج مع درجة تطابقها ليراجعها موظف (الدمج بالأمر himaya registry merge).",
    "Write the scored pairs here (.csv or .parquet).": "اكتب الأزواج ودرجاتها هنا (.csv أو .parquet).",
    "Report pairs scoring at least this (0 to 1).": "أبلغ عن الأزواج التي تبلغ درجتها هذا الحد على الأقل (من 0 إلى 1).",
    "Ground truth (`himaya synth --duplicates`) to measure precision and recall.": "الحقيقة المرجعية (من himaya synth --duplicates) لقياس الدقة والاستدعاء.",
    "Merge a duplicate record into the one kept; audited; the merged record is kept, marked.": "ادمج سجلاً مكرراً في السجل المُبقى عليه؛ مع التدقيق؛ ويبقى السجل المدموج معلَّماً.",
    "Civil number of the record to keep.": "الرقم المدني للسجل المُبقى عليه.",
    "Civil number of the duplicate record, merged into KEEP.": "الرقم المدني للسجل المكرر، يُدمج في KEEP.",
    "The tamper-evident audit trail.": "سجل التدقيق الكاشف للعبث.",
    "The head hash printed by an earlier verify: also catches removal of the newest entries.": "تجزئة الرأس التي طبعها تحقق سابق: تكشف أيضاً حذف أحدث القيود.",
    "Users of the service: people at branches and partner systems.": "مستخدمو الخدمة: موظفو الفروع وأنظمة الشركاء.",
    "Create a user (asks for the password, or makes one) and give them roles and branches. All or nothing: roles and branches are checked first, and the user, roles and branches are written in one transaction; a made password is printed only once the user exists.": "أنشئ مستخدماً (تُطلب كلمة المرور أو تُنشأ) وامنحه أدواراً وفروعاً. الكل أو لا شيء: تُفحص الأدوار والفروع أولاً، ويُكتب المستخدم وأدواره وفروعه في معاملة واحدة؛ ولا تُطبع كلمة المرور المنشأة إلا بعد وجود المستخدم.",
    "The user name (for a partner system: its client id).": "اسم المستخدم (لنظام شريك: معرِّف العميل).",
    "A role (repeat for more): registrar, case_worker, supervisor, finance_officer, payroll_approver, policy_analyst, auditor, admin, partner, civil_registry.": "دور (كرِّره لأكثر من دور): registrar أو case_worker أو supervisor أو finance_officer أو payroll_approver أو policy_analyst أو auditor أو admin أو partner أو civil_registry.",
    "A branch scope (repeat for more): wilayat:NAME, governorate:NAME or all.": "نطاق فرع (كرِّره لأكثر من نطاق): wilayat:NAME أو governorate:NAME أو all.",
    "A partner system (client credentials).": "نظام شريك (بيانات اعتماد العميل).",
    "The person's or system's name.": "اسم الشخص أو النظام.",
    "Make a strong password and print it once, instead of asking.": "أنشئ كلمة مرور قوية واطبعها مرة واحدة بدلاً من طلبها.",
    "Who acts, for the audit trail.": "من يقوم بالإجراء، لسجل التدقيق.",
    "Give a user roles and branch scopes; their tokens issued before stop working.": "امنح مستخدماً أدواراً ونطاقات فروع؛ وتتوقف رموزه الصادرة قبل ذلك عن العمل.",
    "Instead of what the user had, not in addition.": "بدلاً مما كان لدى المستخدم، لا إضافةً إليه.",
    "Set a new password; every session of the user ends.": "عيِّن كلمة مرور جديدة؛ وتنتهي كل جلسات المستخدم.",
    "Stop a user from logging in; their tokens stop working at once.": "امنع مستخدماً من الدخول؛ وتتوقف رموزه عن العمل فوراً.",
    "Every user with their roles and branches.": "كل المستخدمين بأدوارهم وفروعهم.",
    "Recompute the hash chain: any entry edited or deleted afterwards is reported (exit status 1). With checkpoints, entries removed from the end up to the last checkpoint are reported too.": "أعد حساب سلسلة التجزئة: يُبلَّغ عن أي قيد عُدِّل أو حُذف لاحقاً (رمز الخروج 1).\nومع نقاط التحقق يُبلَّغ أيضاً عن القيود المحذوفة من آخر السلسلة حتى آخر نقطة تحقق.",
    "File of signed checkpoints (default: HIMAYA_AUDIT_CHECKPOINTS).": "ملف نقاط التحقق الموقّعة (الافتراضي: HIMAYA_AUDIT_CHECKPOINTS).",
    "Verify the chain and append a signed checkpoint of its head to a file kept out of the database's reach; run it often (a timer), and keep the file where database users cannot write.": "تحقّق من السلسلة وأضف نقطة تحقق موقّعة لرأسها إلى ملف بعيد عن متناول قاعدة البيانات؛\nشغّله كثيراً (بمؤقت)، واحفظ الملف حيث لا يستطيع مستخدمو قاعدة البيانات الكتابة.",
    "File to append to (default: HIMAYA_AUDIT_CHECKPOINTS).": "الملف الذي يُضاف إليه (الافتراضي: HIMAYA_AUDIT_CHECKPOINTS).",
    "Start the file (it must not exist yet).": "ابدأ الملف (يجب ألا يكون موجوداً بعد).",
    "Partner systems' DCI terms: the sender id they send, where their answers go, their limits.": "شروط الأنظمة الشريكة في DCI: معرّف المرسِل الذي ترسله، وأين تذهب إجاباتها، وحدودها.",
    "Register or change a partner's DCI terms (what is not given stays as it was).": "سجّل شروط شريك في DCI أو غيّرها (ما لم يُذكر يبقى كما كان).",
    "The partner's client id (a user made with `users create --client`).": "معرّف عميل الشريك (مستخدم أُنشئ بالأمر `users create --client`).",
    "Register an address its async answers may go to (repeat).": "سجّل عنواناً يجوز أن تُرسل إليه إجاباته غير المتزامنة (يمكن التكرار).",
    "Unregister an address (repeat).": "ألغِ تسجيل عنوان (يمكن التكرار).",
    "The header.sender_id it must send (default: its client id).": "قيمة header.sender_id التي يجب أن يرسلها (الافتراضي: معرّف عميله).",
    "Records one message may ask for (its page sizes summed).": "عدد السجلات التي يجوز أن تطلبها رسالة واحدة (مجموع أحجام صفحاتها).",
    "Search requests it may send in a minute.": "عدد طلبات البحث التي يجوز أن يرسلها في الدقيقة.",
    "Every partner with registered DCI terms.": "كل شريك له شروط DCI مسجّلة.",
    "Find people registered twice: pairs in the band merge, and pairs to review as a case.": "ابحث عن الأشخاص المسجّلين مرتين: أزواج في نطاق الدمج، وأزواج تُراجَع كحالة.",
    "Report pairs whose match probability is at least this (band review).": "أبلغ عن الأزواج التي لا يقل احتمال تطابقها عن هذا (نطاق المراجعة).",
    "Pairs at least this likely are in the band merge.": "الأزواج التي لا يقل احتمالها عن هذا تقع في نطاق الدمج.",
    "Ground truth (original_person_id, duplicate_person_id) to measure the band merge.": "الحقيقة المرجعية (original_person_id, duplicate_person_id) لقياس نطاق الدمج.",
    "Forget a user's failed logins, so that they may log in again at once from anywhere.": "انسَ محاولات الدخول الفاشلة لمستخدم، ليتمكن من الدخول فوراً من أي مكان.",
    # himaya events
    "Notifications: deliver the outbox by SMS and e-mail.": "الإشعارات: تسليم الرسائل الصادرة بالرسائل النصية والبريد الإلكتروني.",
    "Deliver the messages that are due (retries whose time has come included), then exit.": "سلِّم الرسائل المستحقة (ومنها إعادات المحاولة التي حان وقتها)، ثم اخرج.",
    "Keep going: deliver again every SECONDS (0: once, then exit).": "استمر: أعد التسليم كل SECONDS ثانية (0: مرة واحدة ثم اخرج).",
    "Messages by channel and state, then the failed and uncertain ones with their last error.": "الرسائل حسب القناة والحالة، ثم الرسائل المتعثرة وغير المؤكدة مع آخر خطأ لكل منها.",
    "Failed or uncertain messages listed.": "عدد الرسائل المتعثرة أو غير المؤكدة المعروضة.",
    "Send a failed or uncertain message again (check first that an uncertain one did not arrive).": "أعد إرسال رسالة متعثرة أو غير مؤكدة (تحقق أولاً من أن الرسالة غير المؤكدة لم تصل).",
    "The message's number in the outbox (`himaya notify status`).": "رقم الرسالة في صندوق الرسائل الصادرة (himaya notify status).",
    "Record that an uncertain (or failed) message did arrive: it is marked sent, never sent again.": "سجِّل أن رسالة غير مؤكدة (أو متعثرة) قد وصلت: تُعلَّم مُرسَلة ولا تُرسَل مرة أخرى.",
    "Life events: births, deaths, marriages and the calendar's.": "الوقائع الحيوية: المواليد والوفيات والزواج ووقائع التقويم.",
    "Put life events into the inbox, once each: importing the same events again changes nothing.": "إدخال الوقائع الحيوية إلى صندوق الوارد مرة واحدة لكل واقعة: استيراد الوقائع نفسها مرة أخرى لا يغيّر شيئًا.",
    "An OpenCRVS FHIR document (.json), a CSV of events, or a folder.": "مستند FHIR من OpenCRVS (.json)، أو ملف CSV للوقائع، أو مجلد.",
    "The source's name (default: opencrvs for .json, file for .csv).": "اسم المصدر (الافتراضي: opencrvs لملفات .json، وfile لملفات .csv).",
    "The calendar's events of the month (turning 60, turning 18), for the whole registry, into the inbox.": "وقائع التقويم في الشهر (بلوغ 60 عامًا، بلوغ 18 عامًا) للسجل كله، إلى صندوق الوارد.",
    "Apply the inbox's waiting events to the registry (and the events held by the last run, once more).": "تطبيق الوقائع المنتظرة في صندوق الوارد على السجل (والوقائع المعلّقة في التشغيل السابق، مرة أخرى).",
    "Events per transaction.": "عدد الوقائع في المعاملة الواحدة.",
    "The inbox's events by state, and how long the oldest waiting one has waited.": "وقائع صندوق الوارد حسب الحالة، والمدة التي انتظرتها أقدم واقعة منتظرة.",
    # himaya cases
    "Cases: applications, change requests, grievances, appeals, duplicate reviews, payment issues, referrals.": "الحالات: الطلبات وطلبات تعديل البيانات والشكاوى والتظلمات ومراجعة التسجيلات المكررة ومشكلات الدفع والإحالات.",
    "The case types of the policy pack: who opens them, their states and deadlines in working days.": "أنواع الحالات في حزمة السياسات: من يفتحها، ومراحلها ومواعيدها بأيام العمل.",
    "Open a case; the person is told it was received (in the outbox).": "افتح حالة؛ ويُبلَّغ صاحبها باستلامها (عبر صندوق الرسائل الصادرة).",
    "The case type (`himaya cases types`).": "نوع الحالة (`himaya cases types`).",
    "The person's civil number.": "الرقم المدني للشخص.",
    "branch, phone, web or anonymous.": "branch (الفرع) أو phone (الهاتف) أو web (الموقع) أو anonymous (دون ذكر الاسم).",
    "The branch (default: the person's).": "الفرع (الافتراضي: فرع الشخص).",
    "The category (a grievance's).": "الفئة (فئة الشكوى).",
    "A short title.": "عنوان قصير.",
    "Only for the roles holding case.sensitive.": "للأدوار الحاملة لصلاحية case.sensitive فقط.",
    "Of the messages to the person: ar or en.": "لغة الرسائل إلى الشخص: ar أو en.",
    "A form field, NAME=VALUE (repeat).": "حقل من النموذج بصيغة NAME=VALUE (كرِّره).",
    "The user who acts (default: HIMAYA_ACTOR or the operating-system user).": "المستخدم الذي يقوم بالإجراء (الافتراضي: HIMAYA_ACTOR أو مستخدم نظام التشغيل).",
    "A case with its form, where it stands, where it may go, its history and its messages.": "حالة مع نموذجها ومرحلتها وما يمكن أن تنتقل إليه وسجلها ورسائلها.",
    "The case number, e.g. C-2026-000001.": "رقم الحالة، مثل C-2026-000001.",
    "The branch inbox: the cases of your branches, by due date, 50 a page.": "صندوق وارد الفرع: حالات فروعك مرتبة حسب الموعد، 50 في الصفحة.",
    "Only this branch.": "هذا الفرع فقط.",
    "Only cases in this state.": "الحالات في هذه المرحلة فقط.",
    "Only cases of this type.": "الحالات من هذا النوع فقط.",
    "Due on or before.": "موعدها في هذا اليوم أو قبله.",
    "Only the cases of this user.": "حالات هذا المستخدم فقط.",
    "Include closed cases.": "مع الحالات المغلقة.",
    "Page of 50 cases.": "صفحة من 50 حالة.",
    "Give a case to a user.": "أسند حالة إلى مستخدم.",
    "The user who will work the case.": "المستخدم الذي سيعمل على الحالة.",
    "The case's version you read (`himaya cases show`).": "إصدار الحالة الذي قرأته (`himaya cases show`).",
    "Add a note to a case's history.": "أضف ملاحظة إلى سجل الحالة.",
    "The note.": "الملاحظة.",
    "Move a case on: a step of its work, or a decision (case.decide; maker-checker where money changes). An application's approval writes its facts to the registry; a refusal names the rules that failed.": "انقل الحالة إلى مرحلة تالية: خطوة في العمل عليها أو قرار (case.decide؛ مع مبدأ الفصل بين المُعِدّ والمعتمِد حين يتغير الصرف). الموافقة على طلب تكتب وقائعه في السجل، والرفض يسمّي القواعد التي لم تتحقق.",
    "Attach evidence to a case (case.work): stored by its SHA-256; the attachment is audited.": "أرفق مستنداً داعماً بالحالة (case.work): يُحفظ ببصمته SHA-256، ويُسجَّل الإرفاق في سجل التدقيق.",
    "The evidence: a PDF, JPEG or PNG file (the type is read from its content).": "المستند الداعم: ملف PDF أو JPEG أو PNG (يُعرف نوعه من محتواه).",
    "A supervisor's reason to approve an application the rules do not support.": "سبب المشرف للموافقة على طلب لا تؤيده القواعد.",
    "Remove the DCI transactions whose retention (HIMAYA_DCI_RETENTION_DAYS) has ended, with their delivery attempts (the service also removes them as messages come in).": "احذف معاملات DCI التي انتهت مدة الاحتفاظ بها (HIMAYA_DCI_RETENTION_DAYS) مع محاولات تسليمها (تحذفها الخدمة أيضاً عند ورود الرسائل).",
    "Each attempt to POST an async answer to the partner: when, where, and what came of it.": "كل محاولة لإرسال إجابة غير متزامنة إلى الشريك: متى وإلى أين وما نتيجتها.",
    "The correlation id the ACK gave.": "معرّف الربط (correlation id) الذي أعطاه الإشعار بالاستلام.",
    "POST again the kept async answers their partner has not taken (delivery failed, or pending for over 10 minutes after a restart), each HIMAYA_DCI_CALLBACK_ATTEMPTS more times.": "أعد إرسال الإجابات غير المتزامنة المحفوظة التي لم يتسلمها شريكها (فشل تسليمها، أو بقيت معلّقة أكثر من 10 دقائق بعد إعادة تشغيل)، كلٌّ منها HIMAYA_DCI_CALLBACK_ATTEMPTS مرة إضافية.",
    "Attempts for each (default HIMAYA_DCI_CALLBACK_ATTEMPTS).": "عدد المحاولات لكل إجابة (الافتراضي HIMAYA_DCI_CALLBACK_ATTEMPTS).",
    "The state to move the case to.": "المرحلة التي تُنقل إليها الحالة.",
    "The reasons (required for a decision).": "الأسباب (مطلوبة للقرار).",
    "Close a case.": "أغلق حالة.",
    "The open cases of your branches past their deadline or at risk, most overdue first.": "حالات فروعك المفتوحة التي تجاوزت موعدها أو تقترب منه، الأكثر تأخراً أولاً.",
    "Tell each breach to the type's escalation role, once.": "أبلغ الدور المختص بالتصعيد عن كل تجاوز مرة واحدة.",
    "As a citizen reads it: what is paid, each income counted, the arithmetic, the law.": "كما يقرؤه المواطن: ما يُصرف، وكل دخل محتسب، والحساب مكتوباً، والسند النظامي.",
    "Printable letters (PDF) in Arabic or English.": "خطابات للطباعة (PDF) بالعربية أو الإنجليزية.",
    "A family's statement of entitlements for a month: each benefit, each income counted, the arithmetic, the law.": "بيان استحقاقات أسرة عن شهر: كل منفعة، وكل دخل محتسب، والحساب مكتوباً، والسند النظامي.",
    "The family number.": "رقم الأسرة.",
    "The PDF file to write.": "ملف PDF الذي يُكتب.",
    "Language of the letter: ar or en.": "لغة الخطاب: ar أو en.",
    "A case's letter to its person: the decision with its reasons and appeal right, the referral, or the receipt.": "خطاب الحالة إلى صاحبها: القرار مع أسبابه وحق التظلم، أو الإحالة، أو الإشعار بالاستلام.",
    "Language: ar or en (default: the case's).": "اللغة: ar أو en (الافتراضي: لغة الحالة).",
    "decision, referral or receipt (default: what the case is at).": "decision (قرار) أو referral (إحالة) أو receipt (استلام) (الافتراضي: ما وصلت إليه الحالة).",
    "Find people of your branches by name, civil number or mobile, as GET /people?q= does (audited).": "ابحث عن أفراد فروعك بالاسم أو الرقم المدني أو رقم الهاتف، كما يفعل GET /people?q= (مع التسجيل في سجل التدقيق).",
    "Names in any order (Arabic or Latin), a civil number or a mobile number.": "أسماء بأي ترتيب (بالعربية أو بالحروف اللاتينية)، أو رقم مدني، أو رقم هاتف.",
    "At most this many people.": "هذا العدد من الأفراد على الأكثر.",
    "Rebuild the name index from every person's names (after a change of the name normalisation).": "أعد بناء فهرس الأسماء من أسماء جميع الأفراد (بعد تغيير قواعد توحيد كتابة الأسماء).",
} | HELP_AR_INSURANCE


def in_arabic(command: Any) -> list[str]:
    """Put the Arabic help in place of the English on `command` (a Click command, as Typer builds
    it) and all its subcommands; return the English help texts that have no Arabic (shown in English)."""
    missing: list[str] = []

    def translate(command: Any) -> None:
        for target in (command, *command.params):
            text = getattr(target, "help", None)
            if not text:
                continue
            arabic = HELP_AR.get(" ".join(text.split()))
            if arabic is None:
                missing.append(text)
            else:
                target.help = isolate_ltr(arabic)  # option names, file types and codes kept in order
        for sub in getattr(command, "commands", {}).values():
            translate(sub)

    translate(command)
    return missing


def arabic_headings() -> None:
    """The help's panel headings in Arabic, for the rest of the process (Typer reads them when it
    draws the help)."""
    rich_utils.ARGUMENTS_PANEL_TITLE = "الوسائط"
    rich_utils.OPTIONS_PANEL_TITLE = "الخيارات"
    rich_utils.COMMANDS_PANEL_TITLE = "الأوامر"
