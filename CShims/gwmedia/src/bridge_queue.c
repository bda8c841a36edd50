/* Bounded FIFO of packets waiting for gwm_bridge_poll. Slots are written in
 * place (reserve, fill, commit) so a packet is built where it is sent from. */
#include "bridge_internal.h"

out_slot *queue_reserve(out_queue *q)
{
    if (q->count == QUEUE_SLOTS) return NULL;
    return &q->slots[(q->head + q->count) % QUEUE_SLOTS];
}

void queue_commit(out_queue *q, out_slot *slot, gwm_leg leg, int is_rtcp, size_t length)
{
    slot->leg = (uint8_t)leg;
    slot->is_rtcp = (uint8_t)(is_rtcp ? 1 : 0);
    slot->length = length;
    q->count++;
}

out_slot *queue_pop(out_queue *q)
{
    if (q->count == 0) return NULL;
    out_slot *slot = &q->slots[q->head];
    q->head = (q->head + 1) % QUEUE_SLOTS;
    q->count--;
    return slot;
}
