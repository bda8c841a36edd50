import GatewayCore
import NIOConcurrencyHelpers
import NIOCore

/// What one of an event loop's media timers calls when its deadline comes.
protocol MediaTimerOwner: AnyObject {
    func timerFired(now: UInt64)
}

/// The timers of the media legs on one event loop behind one scheduled task.
/// A transcoding leg plays out every 20 ms: one NIO task per leg cost an
/// allocation, a cancel and a rescheduling per tick and a wakeup per leg
/// (issue 13's profile). Here the task wakes on a 1 ms grid and runs every
/// leg due by then, so a loop wakes at most a thousand times a second however
/// many legs it carries, and a tick is at most 1 ms late.
/// Used on its event loop only.
final class MediaTimers: @unchecked Sendable {
    static let grid: UInt64 = 1000
    private let loop: EventLoop
    private var deadlines = DeadlineQueue<ObjectIdentifier>()
    private var owners: [ObjectIdentifier: MediaTimerOwner] = [:]
    private var task: Scheduled<Void>?
    private var taskAt: UInt64?
    private var firing = false

    init(loop: EventLoop) { self.loop = loop }

    /// `owner`'s next deadline (microseconds, the legs' clock); nil: none, and it is forgotten.
    func set(_ owner: MediaTimerOwner, at deadline: UInt64?) {
        let id = ObjectIdentifier(owner)
        owners[id] = deadline == nil ? nil : owner
        deadlines.set(id, at: deadline)
        if !firing { arm() }
    }

    private func fire() {
        task = nil
        taskAt = nil
        firing = true
        let now = BrowserLegHandler.now()
        for id in deadlines.due(now: now) {
            if let owner = owners.removeValue(forKey: id) { owner.timerFired(now: now) }
        }
        firing = false
        arm()
    }

    /// One task, at the grid point at or after the earliest deadline; moved only when that comes earlier.
    private func arm() {
        guard let next = deadlines.next() else {
            task?.cancel()
            task = nil
            taskAt = nil
            return
        }
        // Capped where microseconds still fit in NIO's nanoseconds once rounded up to the grid.
        let capped = min(next, UInt64.max / 1000 - Self.grid)
        let at = (capped + Self.grid - 1) / Self.grid * Self.grid
        if let taskAt, taskAt <= at { return }
        task?.cancel()
        taskAt = at
        let bound = NIOLoopBound(self, eventLoop: loop)
        task = loop.scheduleTask(deadline: .uptimeNanoseconds(at * 1000)) { bound.value.fire() }
    }
}

/// One `MediaTimers` per event loop, made when a loop's first leg opens.
final class MediaTimersByLoop: Sendable {
    private let timers = NIOLockedValueBox<[ObjectIdentifier: MediaTimers]>([:])

    func timers(on loop: EventLoop) -> MediaTimers {
        timers.withLockedValue { all in
            let id = ObjectIdentifier(loop)
            if let existing = all[id] { return existing }
            let made = MediaTimers(loop: loop)
            all[id] = made
            return made
        }
    }
}
