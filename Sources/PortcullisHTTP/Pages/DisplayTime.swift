import PortcullisCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A moment as the pages show it: in UTC, in words a person reads at a glance
/// ("29 Nov 2026, 14:05 UTC"), and in the machine form `<time datetime>` wants
/// ("2026-11-29T14:05:00Z").
///
/// The server does not know the reader's time zone and the pages run no script, so every time
/// is shown in UTC and says so.
struct DisplayTime: Equatable, Sendable {
    let year: Int64
    let month: Int
    let day: Int
    let hour: Int
    let minute: Int
    let second: Int

    /// The calendar fields of `date` in UTC (proleptic Gregorian calendar).
    init(_ date: Date) {
        let seconds = date.epochSeconds
        let (days, secondOfDay) = Self.floorDivision(seconds, 86_400)
        (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
    }

    /// "29 Nov 2026, 14:05 UTC".
    var readable: String {
        "\(day) \(Self.monthAbbreviations[month - 1]) \(year), \(Self.twoDigits(hour)):\(Self.twoDigits(minute)) UTC"
    }

    /// "2026-11-29T14:05:00Z" (RFC 3339), for `<time datetime>`.
    var machine: String {
        "\(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day))T\(Self.twoDigits(hour)):\(Self.twoDigits(minute)):\(Self.twoDigits(second))Z"
    }

    /// `<time datetime="…">…</time>`.
    var html: HTML {
        "<time datetime=\"\(machine)\">\(readable)</time>"
    }

    private static let monthAbbreviations = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Division rounding towards minus infinity, with a non-negative remainder.
    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = (value % divisor + divisor) % divisor
        return ((value - remainder) / divisor, remainder)
    }

    /// Year, month and day of the day `daysSinceEpoch` days after 1970-01-01, counting in
    /// 400-year eras of 146,097 days that start on 1 March, so leap days fall at an era's end.
    private static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int, day: Int) {
        let (era, dayOfEra) = floorDivision(daysSinceEpoch + 719_468, 146_097)  // 719,468: days from 0000-03-01 to 1970-01-01
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March … 11 = February
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
