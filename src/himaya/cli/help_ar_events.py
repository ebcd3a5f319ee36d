# ruff: noqa: E501  (a catalogue: one message a line, English then Arabic)
"""Arabic help of `himaya events crvs-...` (DCI CRVS subscriptions), merged into `help_ar.HELP_AR`
(keyed by the English help)."""

from __future__ import annotations

HELP_AR_EVENTS = {
    "Subscribe to a civil registry's vital events; its answer (on-subscribe) gives the codes.": "الاشتراك في الوقائع الحيوية لدى سجل مدني؛ ويعطي ردُّه (on-subscribe) رموز الاشتراك.",
    "The civil registry's DCI CRVS address (before /registry/subscribe).": "عنوان DCI CRVS للسجل المدني (ما قبل /registry/subscribe).",
    "LiveBirth, Death, Marriage or Divorce (repeat).": "LiveBirth (ولادة حية) أو Death (وفاة) أو Marriage (زواج) أو Divorce (طلاق) (يمكن تكراره).",
    "The registry's sender_id in its messages.": "معرّف المرسل sender_id الذي يستخدمه السجل في رسائله.",
    "The registry's client user (role civil_registry) that posts its notify.": "مستخدم العميل الخاص بالسجل (بدور civil_registry) الذي يرسل إشعاراته notify.",
    "Himaya's address for the registry's answer (…/events/dci/on-subscribe).": "عنوان حماية الذي يصل إليه ردّ السجل (…/events/dci/on-subscribe).",
    "The bearer token the civil registry gave Himaya (default: HIMAYA_CRVS_TOKEN).": "رمز الوصول (bearer) الذي أعطاه السجل المدني لحماية (الافتراضي: HIMAYA_CRVS_TOKEN).",
    "Himaya's subscriptions to civil registries' events: the registry, event, code and state.": "اشتراكات حماية في وقائع السجلات المدنية: السجل والواقعة والرمز والحالة.",
    "End a subscription at the civil registry: its notify messages are refused afterwards.": "إنهاء اشتراك لدى السجل المدني: تُرفض إشعاراته بعد ذلك.",
    "The subscription code the registry gave.": "رمز الاشتراك الذي أعطاه السجل.",
}
