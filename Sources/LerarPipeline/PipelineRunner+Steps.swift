import Foundation
import LerarNormalization

/// The per-stack shares of a cluster run's steps (`lerar step`): LN reference, LN functions, integration.
extension PipelineRunner {
    /// Does a step's share of `stack` before its integration; true when this process does not integrate the stack.
    func stackStepShare(_ stack: StackID, members: [Int], lnKey: String?, integrateKey: String) throws -> Bool {
        switch options.scope {
        case .all:
            return false
        case .lnReference(let names):
            if names.contains(stack.name), let lnKey, cache.intact(integrateKey) == nil {
                _ = try ensureLNReference(stack: stack, members: members, key: lnKey)
            }
            return true
        case .normalize(let paths):
            let mine = members.filter { paths.contains(frames[$0].path) }
            guard !mine.isEmpty, let lnKey, cache.intact(integrateKey) == nil else { return true }
            guard cache.intact(lnKey) != nil else { throw PipelineError.stepNotReady("the LN reference of stack \(stack.name) is not built") }
            _ = try ensureNormalized(mine, reference: lnReferencePath(stack))
            return true
        case .integrate(let names):
            guard names.contains(stack.name) else { return true }
            if cache.intact(integrateKey) == nil, let lnKey {
                guard cache.intact(lnKey) != nil else { throw PipelineError.stepNotReady("the LN reference of stack \(stack.name) is not built") }
                let unfitted = members.filter { cache.payload(frames[$0].normalizeKey!, as: LocalNormalizationFunction.self) == nil }
                if let first = unfitted.first {
                    throw PipelineError.stepNotReady("\(unfitted.count) LN functions of stack \(stack.name) are not fitted, e.g. \(frames[first].path)")
                }
            }
            return false
        case .final:
            guard cache.intact(integrateKey) != nil else { throw PipelineError.stepNotReady("stack \(stack.name) is not integrated") }
            return false
        case .plan, .masters, .calibrate, .register:
            return true
        }
    }
}
