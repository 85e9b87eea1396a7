/// Each account's notes, in memory: the application's own data, behind the Portcullis session.
actor Notebook {
    private var notes: [String: [String]] = [:]

    func add(_ note: String, for account: String) { notes[account, default: []].append(note) }

    func notes(of account: String) -> [String] { notes[account] ?? [] }
}
