import Foundation

/// One order: what was ordered, by whom.
struct Order: Codable, Sendable {
    let id: Int
    let customer: String
    let item: String
    let placedAt: Date
}

/// The service's data, in memory: enough to show whose orders a token opens.
actor OrderBook {
    private var orders: [Order] = []

    func place(item: String, customer: String) -> Order {
        let order = Order(id: orders.count + 1, customer: customer, item: item, placedAt: Date())
        orders.append(order)
        return order
    }

    func orders(of customer: String) -> [Order] { orders.filter { $0.customer == customer } }

    func all() -> [Order] { orders }
}
