import { MemoryBudgetLedger } from '../../lambdas/adapters/memory/memory-budget-ledger.js';
import { describeBudgetLedgerContract } from './budget-ledger.contract.js';

describeBudgetLedgerContract('in memory', async () => new MemoryBudgetLedger());
