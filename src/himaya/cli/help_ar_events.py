# ruff: noqa: E501  (a catalogue: one message a line, English then Arabic)
"""Arabic help of `himaya events crvs-...` (DCI CRVS subscriptions), merged into `help_ar.HELP_AR`
(keyed by the English help)."""

from __future__ import annotations

HELP_AR_EVENTS = {
    "The user logged in with `himaya login`, once the store has users (a new store: HIMAYA_ACTOR or the OS user).": "المستخدم الذي سجّل دخوله بـ `himaya login`، متى كان في المخزن مستخدمون (في مخزن جديد: HIMAYA_ACTOR أو مستخدم النظام).",
    "Subscribe to a civil registry's vital events; its answer (on-subscribe) gives the codes.": "الاشتراك في الوقائع الحيوية لدى سجل مدني؛ ويعطي ردُّه (on-subscribe) رموز الاشتراك.",
    "The civil registry's DCI CRVS address (before /registry/subscribe).": "عنوان DCI CRVS للسجل المدني (ما قبل /registry/subscribe).",
    "LiveBirth, Death, Marriage, Divorce, Adoption or FetalDeath (repeat).": "LiveBirth (ولادة حية) أو Death (وفاة) أو Marriage (زواج) أو Divorce (طلاق) أو Adoption (تبنٍّ) أو FetalDeath (وفاة جنين) (يمكن تكراره).",
    "Only events whose record says ATTRIBUTE=VALUE, e.g. death_place=Nizwa (repeat: all).": "الوقائع التي يذكر سجلها ATTRIBUTE=VALUE فقط، مثل death_place=Nizwa (يمكن تكراره: تُشترط كلها).",
    "The registry notifies on this cron schedule, e.g. '0 0 0 5,15 * ? *'.": "يرسل السجل إشعاراته وفق جدول cron هذا، مثل '0 0 0 5,15 * ? *'.",
    "With --frequency: from this time (ISO 8601, with zone).": "مع ‎--frequency: ابتداءً من هذا الوقت (ISO 8601، مع المنطقة الزمنية).",
    "With --frequency: until this time (ISO 8601, with zone).": "مع ‎--frequency: حتى هذا الوقت (ISO 8601، مع المنطقة الزمنية).",
    "The registry's sender_id in its messages.": "معرّف المرسل sender_id الذي يستخدمه السجل في رسائله.",
    "The registry's client user (role civil_registry) that posts its notify.": "مستخدم العميل الخاص بالسجل (بدور civil_registry) الذي يرسل إشعاراته notify.",
    "Himaya's address for the registry's answer (…/events/dci/on-subscribe).": "عنوان حماية الذي يصل إليه ردّ السجل (…/events/dci/on-subscribe).",
    "The bearer token the civil registry gave Himaya (default: HIMAYA_CRVS_TOKEN).": "رمز الوصول (bearer) الذي أعطاه السجل المدني لحماية (الافتراضي: HIMAYA_CRVS_TOKEN).",
    "Himaya's subscriptions to civil registries' events: the registry, event, code and state.": "اشتراكات حماية في وقائع السجلات المدنية: السجل والواقعة والرمز والحالة.",
    "End a subscription at the civil registry: its notify messages are refused afterwards.": "إنهاء اشتراك لدى السجل المدني: تُرفض إشعاراته بعد ذلك.",
    "The subscription code the registry gave.": "رمز الاشتراك الذي أعطاه السجل.",
    "Search a civil registry's people by civil number, or by name and birth date; print what it found.": "البحث عن أشخاص في سجل مدني بالرقم المدني، أو بالاسم وتاريخ الميلاد؛ وطباعة ما وُجد.",
    "The civil registry's DCI CRVS address (before /registry/sync/search).": "عنوان DCI CRVS للسجل المدني (ما قبل /registry/sync/search).",
    "The registry's client user whose registered keys sign its answers.": "مستخدم العميل الخاص بالسجل الذي تُتحقَّق توقيعات ردوده بمفاتيحه المسجلة.",
    "The civil number (UIN) searched for.": "الرقم المدني (UIN) المبحوث عنه.",
    "The name searched for (with --birth-date).": "الاسم المبحوث عنه (مع ‎--birth-date).",
    "The birth date searched for, YYYY-MM-DD (with --name).": "تاريخ الميلاد المبحوث عنه بصيغة YYYY-MM-DD (مع ‎--name).",
    "Take the found events of this type (LiveBirth, Death, Marriage, Divorce; repeat) into the inbox.": "إدخال الوقائع الموجودة من هذا النوع (LiveBirth أو Death أو Marriage أو Divorce؛ يمكن تكراره) في صندوق الوقائع.",
    "Search asynchronously: Himaya's address for the answer (…/events/dci/on-search).": "بحث غير متزامن: عنوان حماية الذي يصل إليه الرد (…/events/dci/on-search).",
    "A search's state and the records the civil registry answered with.": "حالة بحث والسجلات التي ردّ بها السجل المدني.",
    "The search's transaction id (printed by crvs-search).": "معرّف معاملة البحث (تطبعه crvs-search).",
    "The disability registry's DCI address (before /registry/sync/search).": "عنوان DCI لسجل الإعاقة (ما قبل /registry/sync/search).",
    "Take an Expired disability status into the inbox (the card no longer held).": "إدخال حالة إعاقة منتهية (Expired) في صندوق الوقائع (لم تعد البطاقة سارية).",
    "Search a disability registry (DCI DR) by civil number; print the disability status it holds.": "البحث في سجل الإعاقة (DCI DR) بالرقم المدني؛ وطباعة حالة الإعاقة المسجلة فيه.",
}
