# ruff: noqa: E501  (a catalogue: one message a line, English then Arabic)
"""Arabic help of `himaya insurance ...`, merged into `help_ar.HELP_AR` (keyed by the English help)."""

from __future__ import annotations

HELP_AR_INSURANCE = {
    "Social insurance: employers, monthly declarations, contributions, payments, arrears, careers.": "التأمينات الاجتماعية: أصحاب العمل والإقرارات الشهرية والاشتراكات والمدفوعات والمتأخرات والسجلات التأمينية.",
    "List the registered employers; with a file, register its new employers and update the others.": "اعرض أصحاب العمل المسجلين؛ ومع ملف، سجِّل أصحاب العمل الجدد فيه وحدِّث بيانات الآخرين.",
    "Employer register to add or update: cr_number, name, sector, wilayat (CSV, Excel, Parquet).": "سجل أصحاب العمل المراد إضافته أو تحديثه: رقم السجل التجاري cr_number والاسم name والقطاع sector والولاية wilayat (CSV أو Excel أو Parquet).",
    "Declare a month's wages of an employer's insured persons; the contributions due are computed by branch.": "صرِّح بأجور شهر للمؤمَّن عليهم لدى صاحب عمل؛ وتُحسب الاشتراكات المستحقة لكل فرع تأميني.",
    "The declaration: civil_number, wage, days, basic_wage (CSV, Excel, Parquet or JSON).": "الإقرار: الرقم المدني civil_number والأجر wage والأيام days والأجر الأساسي basic_wage (CSV أو Excel أو Parquet أو JSON).",
    "The month declared, YYYY-MM.": "الشهر المصرَّح عنه بصيغة YYYY-MM.",
    "The employer declaring (cr_number); without it, the file has a cr_number column.": "صاحب العمل المصرِّح (رقم السجل التجاري cr_number)؛ وبدونه يتضمن الملف عمود cr_number.",
    "Replace a month already declared (a new revision; the old lines are kept).": "استبدل إقرار شهر مصرَّح به سابقًا (إصدار جديد؛ وتُحفظ البنود القديمة).",
    "The contributions due by employer, month and branch of insurance: the insured's and the employer's shares.": "الاشتراكات المستحقة حسب صاحب العمل والشهر والفرع التأميني: حصة المؤمَّن عليه وحصة صاحب العمل.",
    "Only this month, YYYY-MM.": "هذا الشهر فقط بصيغة YYYY-MM.",
    "The employer's commercial registration number (cr_number).": "رقم السجل التجاري لصاحب العمل (cr_number).",
    "Write the table as CSV (amounts in OMR).": "اكتب الجدول بصيغة CSV (المبالغ بالريال العُماني).",
    "Record a payment received from an employer: it settles the oldest months first.": "سجِّل دفعة مستلمة من صاحب عمل: تُسدِّد الأشهر الأقدم أولاً.",
    "The amount received, OMR (e.g. 120.500; at most 100,000,000.000).": (
        "المبلغ المستلم بالريال العُماني (مثل 120.500؛ 100,000,000.000 على الأكثر)."
    ),
    "The transfer's reference: a payment is recorded once.": "مرجع التحويل: تُسجَّل الدفعة مرة واحدة.",
    "The day it was received (default: today).": "يوم الاستلام (الافتراضي: اليوم).",
    "What each employer owes on a day, month by month, with the late-payment surcharge; and any credit.": "ما على كل صاحب عمل في يوم معيَّن، شهرًا بشهر، مع المبلغ الإضافي عن التأخر في السداد؛ وأي رصيد دائن.",
    "The day of the statement (default: today).": "يوم الكشف (الافتراضي: اليوم).",
    "An insured person's career: each month declared, by which employer, the wage and the days worked.": "السجل التأميني للمؤمَّن عليه: كل شهر مصرَّح عنه، ولدى أي صاحب عمل، والأجر وأيام العمل.",
    "The insured person's civil number.": "الرقم المدني للمؤمَّن عليه.",
}
HELP_AR_INSURANCE |= {
    "An insured person's old-age pension on a day (or disability or death pension), step by step, with the law.": "معاش الشيخوخة للمؤمَّن عليه في يوم معيَّن (أو معاش العجز أو الوفاة)، خطوة بخطوة، مع سنده القانوني.",
    "The day of the pension (default: today).": "يوم المعاش (الافتراضي: اليوم).",
    "The disability pension for a disability on this day.": "معاش العجز عن عجز وقع في هذا اليوم.",
    "The death pension, on the registry's date of death, and its survivors' shares.": "معاش الوفاة في تاريخ الوفاة المسجَّل، وحصص المستحقين عنه.",
    "Widows of the deceased (with --death).": "أرامل المتوفى (مع ‎--death).",
    "Children entitled (with --death).": "الأبناء المستحقون (مع ‎--death).",
    "Parents entitled (with --death).": "الوالدان المستحقان (مع ‎--death).",
    "Language: en or ar.": "اللغة: en أو ar.",
    "Reform YAML laid over the parameters (what if the minimum were...).": "ملف إصلاح YAML يُطبَّق على المعاملات (ماذا لو كان الحد الأدنى...).",
    "Every insured person's old-age pension on a day, with each step, as a table (amounts in OMR).": "معاش الشيخوخة لكل مؤمَّن عليه في يوم معيَّن، بكل خطواته، في جدول (المبالغ بالريال العُماني).",
}
HELP_AR_INSURANCE |= {
    "The job security benefit of a person who lost a job: the qualifying months, the average wage, the amount.": "منفعة الأمان الوظيفي لمن فقد عمله: أشهر التأهل ومتوسط الأجر والمبلغ.",
    "The day the job was lost.": "يوم فقدان العمل.",
    "Which claim this is: 1 for a first, 2 for a second, ...": "رقم الطلب: 1 للطلب الأول، و2 للثاني، ...",
    "If entitled, propose the claimant's referral to the Ministry of Labour (a case to confirm).": "إن كان مستحقًا، اقترح إحالة صاحب الطلب إلى وزارة العمل (حالة تنتظر التأكيد).",
}
HELP_AR_INSURANCE |= {
    "An insured woman's maternity allowance for a birth: the qualifying months, the average wage, the amount.": "بدل الأمومة للمؤمَّن عليها عن ولادة: أشهر التأهل ومتوسط الأجر والمبلغ.",
    "The insured mother's civil number.": "الرقم المدني للأم المؤمَّن عليها.",
    "The day of the birth.": "يوم الولادة.",
}
HELP_AR_INSURANCE |= {
    "A survivor's civil number (repeat for each).": "الرقم المدني لأحد المستحقين (كرِّره لكل مستحق).",
    "The award's version you read (himaya insurance awards).": "إصدار قرار المنفعة الذي قرأته (himaya insurance awards).",
    "The insured person's civil number (a survivor pension: the deceased's).": "الرقم المدني للمؤمَّن عليه (في معاش المستحقين: رقم المتوفى).",
    "old_age, disability, survivor, job_security or maternity.": "old_age (الشيخوخة) أو disability (العجز) أو survivor (المستحقون) أو job_security (الأمان الوظيفي) أو maternity (الأمومة).",
    "The day computed for: the pension's (default today), the disability, the loss of the job, the birth.": "اليوم الذي تُحسب عنده المنفعة: يوم المعاش (الافتراضي اليوم)، أو العجز، أو فقدان العمل، أو الولادة.",
    "The first day paid (default: the benefit's own).": "أول يوم يُصرف عنه (الافتراضي: تاريخ بدء المنفعة نفسها).",
    "Award a computed benefit: stored as prepared, paid once another officer approves it.": "امنح منفعة محسوبة: تُحفظ معدَّةً، وتُصرف بعد أن يعتمدها موظف آخر.",
    "The award's number.": "رقم قرار المنفعة.",
    "Approve an award another officer prepared: the payroll pays it from then on.": "اعتمد قرار منفعة أعدَّه موظف آخر: يصرفه كشف الرواتب من حينها.",
    "The reform file the award was computed under: an award not under the law in force is approved only by naming it.": "ملف الإصلاح الذي حُسب القرار بموجبه: لا يُعتمد قرار لم يُحسب وفق القانون النافذ إلا بتسمية هذا الملف.",
    "The award's last day paid.": "آخر يوم يُصرف عنه القرار.",
    "Why the award ends.": "سبب إنهاء القرار.",
    "End an award on a day: months after it are no longer paid nor counted as an income.": "أنهِ قرار منفعة في يوم معيَّن: لا تُصرف الأشهر التالية ولا تُحتسب دخلاً.",
    "Only this person's awards (as the insured person or a survivor).": "قرارات هذا الشخص فقط (بصفته المؤمَّن عليه أو أحد المستحقين).",
    "Only prepared, approved or ended awards.": "القرارات المعدَّة أو المعتمدة أو المنتهية فقط.",
    "List the awards: benefit, amount, dates, state, who prepared and approved them, survivors' shares.": "اعرض قرارات المنافع: المنفعة والمبلغ والتواريخ والحالة ومن أعدَّها ومن اعتمدها وحصص المستحقين.",
}
HELP_AR_INSURANCE |= {
    "The user logged in (himaya login) who acts: given, it must be them.": "المستخدم المسجَّل دخوله (himaya login) الذي يتولى الإجراء: إن ذُكر فيجب أن يكون هو نفسه.",
    "A survivor who left the pension (a marriage, say), with --on and --reason.": "مستحق خرج من المعاش (بالزواج مثلاً)، مع ‎--on و‎--reason.",
    "The day the survivor left (with --left).": "يوم خروج المستحق (مع ‎--left).",
    "Why the survivor left (with --left).": "سبب خروج المستحق (مع ‎--left).",
    "Review a survivor pension: who left it (dead, past the age limit, named) leaves; the shares are split again.": "راجع معاش المستحقين: يخرج منه من غادره (المتوفى، ومن تجاوز السن القصوى، ومن يسمّيه الموظف)؛ وتُوزَّع الحصص من جديد.",
}
