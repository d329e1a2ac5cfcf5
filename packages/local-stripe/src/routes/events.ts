/** Events: list (type, types[], delivery_success, created) and retrieve. */
import { invalidRequest, noSuch } from '../errors.js';
import { createdFilter, LIST_PARAMS, paginate } from '../list.js';
import type { Router } from '../router.js';
import { matchesType } from '../webhooks.js';

export function registerEventRoutes(router: Router): void {
  router.add('GET', '/v1/events/:id', ({ params }, engine) => {
    const id = params['id'] ?? '';
    const event = engine.events.get(id);
    if (event === undefined) throw noSuch('event', id);
    return event;
  });
  router.add('GET', '/v1/events', ({ form }, engine) => {
    form.allowOnly([...LIST_PARAMS, 'type', 'types', 'delivery_success']);
    const type = form.string('type');
    const types = form.strings('types');
    if (type !== undefined && types !== undefined) {
      throw invalidRequest('You may pass either `type` or `types`, but not both.', undefined, 'types');
    }
    if (types !== undefined && types.length > 20)
      throw invalidRequest('`types` accepts at most 20 event types.', undefined, 'types');
    const deliverySuccess = form.boolean('delivery_success');
    const created = createdFilter(form);
    const events = [...engine.events.all()].reverse().filter(
      (e) =>
        (type === undefined || matchesType(type, e.type)) &&
        (types === undefined || types.includes(e.type)) &&
        // Undelivered = still pending or failed at some endpoint.
        (deliverySuccess === undefined || (e.pending_webhooks === 0) === deliverySuccess) &&
        created(e.created),
    );
    return paginate(events, form, '/v1/events');
  });
}
